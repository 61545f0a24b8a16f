import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { strategicMergePatch } from './strategic-merge-patch.ts';
import { DEPLOYMENT, POD, fixtureSchema } from './test-fixture-schema.ts';

function pod(spec: object, metadata: object = { name: 'p' }): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

const nginx = { name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] };
const sidecar = { name: 'side', image: 'busybox' };

interface Case {
  name: string;
  original: object;
  patch: object;
  want: object;
  type?: string;
}

const cases: Case[] = [
  {
    name: 'containers merge by name; a changed field replaces, others are kept',
    original: pod({ containers: [nginx, sidecar] }),
    patch: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } },
    want: pod({ containers: [{ ...nginx, image: 'nginx:1.26' }, sidecar] }),
  },
  {
    // As in the kubectl patch task page: the new container is listed before the existing one.
    name: 'a new container is placed before the server-only containers',
    original: pod({ containers: [nginx] }),
    patch: { spec: { containers: [{ name: 'redis', image: 'redis' }] } },
    want: pod({ containers: [{ name: 'redis', image: 'redis' }, nginx] }),
  },
  {
    name: 'env merges by name inside a merged container; null deletes a field of an element',
    original: pod({ containers: [nginx] }),
    patch: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: null }, { name: 'C', value: '3' }] }] } },
    want: pod({ containers: [{ ...nginx, env: [{ name: 'A', value: '1' }, { name: 'B' }, { name: 'C', value: '3' }] }] }),
  },
  {
    name: '$patch: delete removes a container by its merge key',
    original: pod({ containers: [nginx, sidecar] }),
    patch: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } },
    want: pod({ containers: [nginx] }),
  },
  {
    name: '$patch: replace on a list replaces the whole list',
    original: pod({ containers: [nginx, sidecar] }),
    patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } },
    want: pod({ containers: [{ name: 'only', image: 'x' }] }),
  },
  {
    name: '$patch: replace on a map replaces the map',
    original: pod({ nodeSelector: { a: '1', b: '2' } }),
    patch: { spec: { nodeSelector: { $patch: 'replace', c: '3' } } },
    want: pod({ nodeSelector: { c: '3' } }),
  },
  {
    name: '$patch: delete on a map empties it',
    original: pod({ nodeSelector: { a: '1' } }),
    patch: { spec: { nodeSelector: { $patch: 'delete' } } },
    want: pod({ nodeSelector: {} }),
  },
  {
    name: 'ports merge by an integer key (containerPort)',
    original: pod({ containers: [{ name: 'web', ports: [{ containerPort: 80 }, { containerPort: 443 }] }] }),
    patch: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 443, name: 'https' }] }] } },
    want: pod({ containers: [{ name: 'web', ports: [{ containerPort: 80 }, { containerPort: 443, name: 'https' }] }] }),
  },
  {
    name: 'volumeMounts merge by mountPath',
    original: pod({ containers: [{ name: 'web', volumeMounts: [{ name: 'a', mountPath: '/a' }] }] }),
    patch: { spec: { containers: [{ name: 'web', volumeMounts: [{ mountPath: '/a', readOnly: true }] }] } },
    want: pod({ containers: [{ name: 'web', volumeMounts: [{ name: 'a', mountPath: '/a', readOnly: true }] }] }),
  },
  {
    name: '$retainKeys on a volume clears the volume source it does not list',
    original: pod({ volumes: [{ name: 'v', hostPath: { path: '/x' } }, { name: 'w', emptyDir: {} }] }),
    patch: { spec: { volumes: [{ name: 'v', emptyDir: { medium: 'Memory' }, $retainKeys: ['emptyDir', 'name'] }] } },
    want: pod({ volumes: [{ name: 'v', emptyDir: { medium: 'Memory' } }, { name: 'w', emptyDir: {} }] }),
  },
  {
    name: '$setElementOrder puts the containers in the given order',
    original: pod({ containers: [nginx, sidecar] }),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] } },
    want: pod({ containers: [sidecar, nginx] }),
  },
  {
    name: 'finalizers (primitive merge list) are unioned without duplicates',
    original: pod({}, { name: 'p', finalizers: ['a', 'b'] }),
    patch: { metadata: { finalizers: ['b', 'c'] } },
    want: pod({}, { name: 'p', finalizers: ['a', 'b', 'c'] }),
  },
  {
    name: '$deleteFromPrimitiveList removes a finalizer',
    original: pod({}, { name: 'p', finalizers: ['a', 'b', 'c'] }),
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: pod({}, { name: 'p', finalizers: ['a', 'c'] }),
  },
  {
    name: 'tolerations (no strategy) are replaced',
    original: pod({ tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] }),
    patch: { spec: { tolerations: [{ key: 'c', operator: 'Exists' }] } },
    want: pod({ tolerations: [{ key: 'c', operator: 'Exists' }] }),
  },
  {
    name: 'ownerReferences merge by uid',
    original: pod({}, { name: 'p', ownerReferences: [{ uid: '1', name: 'a' }, { uid: '2', name: 'b' }] }),
    patch: { metadata: { ownerReferences: [{ uid: '2', controller: true }] } },
    want: pod({}, { name: 'p', ownerReferences: [{ uid: '1', name: 'a' }, { uid: '2', name: 'b', controller: true }] }),
  },
  {
    name: 'imagePullSecrets merge by name',
    original: pod({ imagePullSecrets: [{ name: 'a' }] }),
    patch: { spec: { imagePullSecrets: [{ name: 'b' }] } },
    want: pod({ imagePullSecrets: [{ name: 'b' }, { name: 'a' }] }),
  },
  {
    name: 'labels: null deletes a key, other keys merge',
    original: pod({}, { name: 'p', labels: { a: '1', b: '2' } }),
    patch: { metadata: { labels: { a: null, c: '3' } } },
    want: pod({}, { name: 'p', labels: { b: '2', c: '3' } }),
  },
  {
    name: 'a new map drops its nulls and directive maps instead of storing them',
    original: pod({}),
    patch: { metadata: { labels: { a: null, b: '2' } }, spec: { nodeSelector: { $patch: 'delete' } } },
    want: pod({}, { name: 'p', labels: { b: '2' } }),
  },
  {
    name: 'a value of another type replaces the old one',
    original: pod({ restartPolicy: 'Always' }),
    patch: { spec: { restartPolicy: { weird: true } } },
    want: pod({ restartPolicy: { weird: true } }),
  },
  {
    name: 'Deployment: pod template containers merge through nested types',
    type: DEPLOYMENT,
    original: { kind: 'Deployment', spec: { replicas: 1, template: { spec: { containers: [nginx, sidecar] } } } },
    patch: { spec: { replicas: 3, template: { spec: { containers: [{ name: 'side', image: 'busybox:2' }] } } } },
    want: { kind: 'Deployment', spec: { replicas: 3, template: { spec: { containers: [nginx, { name: 'side', image: 'busybox:2' }] } } } },
  },
  {
    name: 'Deployment: $retainKeys on the strategy clears rollingUpdate',
    type: DEPLOYMENT,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { type: 'Recreate', $retainKeys: ['type'] } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: 'fields unknown to the schema merge like a merge patch (lists replace)',
    original: pod({ extra: { list: [1, 2], keep: 1 } }),
    patch: { spec: { extra: { list: [3] } } },
    want: pod({ extra: { list: [3], keep: 1 } }),
  },
  {
    name: 'an unknown type merges like a merge patch',
    type: 'example.com.v1.Widget',
    original: { spec: { items: [{ name: 'a' }], size: 1 } },
    patch: { spec: { items: [{ name: 'b' }], size: null } },
    want: { spec: { items: [{ name: 'b' }] } },
  },
];

describe('strategicMergePatch', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(strategicMergePatch(fixtureSchema, c.type ?? POD, c.original, c.patch), c.want);
    });
  }

  test('does not mutate its inputs', () => {
    const original = pod({ containers: [nginx, sidecar] });
    const patch = { spec: { containers: [{ name: 'side', $patch: 'delete' }], '$setElementOrder/containers': [{ name: 'web' }] } };
    const before = [structuredClone(original), structuredClone(patch)];
    strategicMergePatch(fixtureSchema, POD, original, patch);
    assert.deepEqual([original, patch], before);
  });

  test('a "__proto__" key stays data and never reaches a prototype', () => {
    const patch = JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":"yes"}}}}') as object;
    const out = strategicMergePatch(fixtureSchema, POD, pod({}, { labels: {} }), patch) as {
      metadata: { labels: Record<string, unknown> };
    };
    assert.deepEqual(Object.getOwnPropertyNames(out.metadata.labels), ['__proto__']);
    assert.equal(Object.getPrototypeOf(out.metadata.labels), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('strategicMergePatch errors', () => {
  const table: { name: string; original?: object; patch: object; code: number; reason: string; message: string }[] = [
    {
      name: 'a list element without its merge key (upstream: plain error, 500)',
      original: pod({ containers: [nginx] }),
      patch: { spec: { containers: [{ image: 'x' }] } },
      code: 500,
      reason: 'InternalError',
      message: 'map: map[image:x] does not contain declared merge key: name',
    },
    {
      name: 'an unknown $patch directive on a map',
      original: pod({ nodeSelector: {} }),
      patch: { spec: { nodeSelector: { $patch: 'explode' } } },
      code: 500,
      reason: 'InternalError',
      message: 'unknown patch type: explode in map: map[$patch:explode]',
    },
    {
      name: '$patch: merge in a list',
      original: pod({ containers: [nginx] }),
      patch: { spec: { containers: [{ name: 'web', $patch: 'merge' }] } },
      code: 500,
      reason: 'InternalError',
      message: 'merging lists cannot yet be specified in the patch',
    },
    {
      name: 'list element types that differ',
      original: pod({}, { finalizers: ['a'] }),
      patch: { metadata: { finalizers: [1] } },
      code: 500,
      reason: 'InternalError',
      message: 'list element types are not identical: [[a] [1]]',
    },
    {
      name: 'a list of lists',
      original: pod({}, { finalizers: [['a']] }),
      patch: { metadata: { finalizers: [['b']] } },
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
    },
    {
      name: '$retainKeys that is not a list',
      patch: { spec: { $retainKeys: 'containers' } },
      code: 400,
      reason: 'BadRequest',
      message: 'invalid patch format of retainKeys',
    },
    {
      name: 'a patch key missing from $retainKeys',
      patch: { spec: { $retainKeys: ['volumes'], restartPolicy: 'Never' } },
      code: 400,
      reason: 'BadRequest',
      message: 'invalid patch format of retainKeys',
    },
    {
      name: 'a $setElementOrder key without "/"',
      patch: { spec: { $setElementOrderContainers: [] } },
      code: 400,
      reason: 'BadRequest',
      message: 'invalid patch format of setElementOrder list',
    },
    {
      name: 'a $setElementOrder value that is not a list',
      patch: { spec: { '$setElementOrder/containers': 'web' } },
      code: 500,
      reason: 'InternalError',
      message: 'expected a []interface {}, but received a string',
    },
    {
      name: 'a $deleteFromPrimitiveList key without "/"',
      patch: { metadata: { $deleteFromPrimitiveListFinalizers: ['a'] } },
      code: 400,
      reason: 'BadRequest',
      message: 'invalid patch format of primitive list',
    },
  ];
  for (const c of table) {
    test(c.name, () => {
      assert.throws(
        () => strategicMergePatch(fixtureSchema, POD, c.original ?? pod({}), c.patch),
        (err) => {
          assert.ok(err instanceof ApiError);
          assert.deepEqual([err.code, err.reason, err.message], [c.code, c.reason, c.message]);
          return true;
        },
      );
    });
  }

  test('an array instead of an object is a bad JSON document (400)', () => {
    assert.throws(
      () => strategicMergePatch(fixtureSchema, POD, pod({}), [] as object),
      (err) => err instanceof ApiError && err.code === 400 && err.message === 'invalid JSON document',
    );
  });
});
