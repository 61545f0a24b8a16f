/** The strategic merge patch against the schema generated from the Kubernetes protobuf files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from '../schema/schema.ts';
import { strategicMergePatch } from './strategic-merge-patch.ts';

test('a Deployment patched against loadSchema(): containers, env, volumes, finalizers, tolerations', () => {
  const schema = loadSchema();
  const typeName = schema.typeNameForKind({ group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.equal(typeName, 'k8s.io.api.apps.v1.Deployment');
  const original = {
    metadata: { name: 'd', finalizers: ['a'] },
    spec: {
      template: {
        spec: {
          containers: [{ name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] }],
          volumes: [{ name: 'v', hostPath: { path: '/x' } }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
  };
  const patch = {
    metadata: { finalizers: ['b'] },
    spec: {
      template: {
        spec: {
          containers: [{ name: 'web', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 8080 }] }],
          volumes: [{ name: 'v', emptyDir: {}, $retainKeys: ['emptyDir', 'name'] }],
          tolerations: [{ key: 'b', operator: 'Exists' }],
        },
      },
    },
  };
  assert.deepEqual(strategicMergePatch(schema, typeName as string, original, patch), {
    // New elements go before the server-only ones, as upstream orders them.
    metadata: { name: 'd', finalizers: ['b', 'a'] },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx',
              env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }],
              ports: [{ containerPort: 8080 }, { containerPort: 80 }],
            },
          ],
          volumes: [{ name: 'v', emptyDir: {} }],
          tolerations: [{ key: 'b', operator: 'Exists' }],
        },
      },
    },
  });
});
