import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { AdmissionAttributes } from '../admission/types.ts';
import { ClusterReadStore } from './cluster-reads.ts';
import { PolicyEngine, webhookAnnotationKey } from './engine.ts';
import type { SourcedObject } from './policy-files.ts';
import { loadPolicyStore } from './policy-store.ts';

const D = `sha256:${'a'.repeat(64)}`;
const log = pino({ level: 'silent' });
const cip = (name: string, glob: string, action: 'pass' | 'fail', mode = 'enforce') => ({ apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name }, spec: { mode, images: [{ glob }], authorities: [{ static: { action } }] } });
const files = (...objects: Record<string, any>[]): SourcedObject[] => objects.map((object) => ({ object, file: 'policies.yaml' }));

async function engineOf(objects: SourcedObject[], get?: (path: string) => Promise<Record<string, any> | undefined>) {
  const policies = await loadPolicyStore(objects);
  const store = new ClusterReadStore(policies.store, get, () => 0);
  const engine = new PolicyEngine({ policies, store, log, now: () => new Date(0), imageVerification: { noMatch: 'deny' } });
  await engine.ready();
  return { engine, close: async () => (engine.close(), await store.close()) };
}

function podReview(labels: Record<string, string>, image: string): AdmissionAttributes {
  return {
    operation: 'CREATE', oldObject: undefined, subresource: '', namespace: 'default', name: 'p', dryRun: false,
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels }, spec: { containers: [{ name: 'c', image }] } },
    kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, user: { username: 'u', groups: [] },
  };
}

let e: Awaited<ReturnType<typeof engineOf>>;
before(async () => {
  e = await engineOf(files(
    cip('good', 'good.example/**', 'pass'),
    cip('evil', 'evil.example/**', 'fail'),
    cip('watched', 'warn.example/**', 'fail', 'warn'),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'exempt', labels: { 'policy.portcullis.dev/no-match': 'allow' } } },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'no-x' }, spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] }, validations: [{ expression: "!('x' in object.metadata.labels)", message: 'no x label' }] } },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'no-x-binding' }, spec: { policyName: 'no-x', validationActions: ['Deny'] } },
    {
      apiVersion: 'admissionregistration.k8s.io/v1beta1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'stamp' },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        matchConditions: [{ name: 'asked', expression: "'stamp' in object.metadata.labels" }],
        reinvocationPolicy: 'Never',
        mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'stamped': 'yes'}}}" } }],
      },
    },
    { apiVersion: 'admissionregistration.k8s.io/v1beta1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name: 'stamp' }, spec: { policyName: 'stamp' } },
  ));
});
after(async () => e.close());

test('ImageReview: a passing policy allows, a failing one denies with the code, no match is NO_POLICY unless the namespace says allow', async () => {
  assert.deepEqual((await e.engine.imageReview({ containers: [{ image: `good.example/app@${D}` }], namespace: 'default' })).allowed, true);
  const evil = await e.engine.imageReview({ containers: [{ image: `good.example/app@${D}` }, { image: `evil.example/app@${D}` }], namespace: 'default' });
  assert.equal(evil.allowed, false);
  assert.match(evil.reason!, /image "evil\.example\/app@sha256:a+" \(spec\.containers\[1\]\.image\) is not allowed by ClusterImagePolicy "evil": UNTRUSTED_KEY: /);
  const other = await e.engine.imageReview({ containers: [{ image: `other.example/app@${D}` }], namespace: 'default' });
  assert.match(other.reason!, /NO_POLICY/);
  assert.equal((await e.engine.imageReview({ containers: [{ image: `other.example/app@${D}` }], namespace: 'exempt' })).allowed, true);
  const warned = await e.engine.imageReview({ containers: [{ image: `warn.example/app@${D}` }], namespace: 'default' });
  assert.equal(warned.allowed, true);
  assert.match(warned.auditAnnotations!.warnings!, /ClusterImagePolicy "watched"/);
});

test('validate: the admission policy from the file denies with its message; images are checked too', async () => {
  const vap = await e.engine.validate(podReview({ x: '1' }, `good.example/app@${D}`));
  assert.equal(vap.allowed, false);
  assert.deepEqual(vap.status, { code: 422, reason: 'Invalid', message: "ValidatingAdmissionPolicy 'no-x' with binding 'no-x-binding' denied request: no x label" });
  const img = await e.engine.validate(podReview({}, `evil.example/app@${D}`));
  assert.equal(img.allowed, false);
  assert.equal(img.status?.code, 403);
  assert.match(img.status!.message, /UNTRUSTED_KEY/);
  assert.deepEqual((await e.engine.validate(podReview({}, `good.example/app@${D}`))).allowed, true);
});

test('mutate: an image already named by digest needs no patch; a denied image is denied', async () => {
  const ok = await e.engine.mutate(podReview({}, `good.example/app@${D}`));
  assert.equal(ok.allowed, true);
  assert.equal(ok.patch, undefined);
  assert.equal((await e.engine.mutate(podReview({}, `evil.example/app@${D}`))).allowed, false);
});

test('mutate: a MutatingAdmissionPolicy from a file is answered as a JSONPatch against the object sent', async () => {
  const a = podReview({ stamp: '1' }, `good.example/app@${D}`);
  const r = await e.engine.mutate(a);
  assert.equal(r.allowed, true);
  assert.deepEqual(r.patch, [{ op: 'add', path: '/metadata/labels/stamped', value: 'yes' }]);
  assert.deepEqual(a.object!.metadata.labels, { stamp: '1' }, 'the request itself is left as sent');
  assert.equal((await e.engine.mutate(podReview({}, `good.example/app@${D}`))).patch, undefined);
});

test('no trust policy at all: an ImageReview is denied, not waved through', async () => {
  const empty = await engineOf([]);
  try {
    const r = await empty.engine.imageReview({ containers: [{ image: `good.example/app@${D}` }] });
    assert.equal(r.allowed, false);
    assert.match(r.reason!, /^NO_POLICY: /);
  } finally {
    await empty.close();
  }
});

test('a trust policy that does not compile, a kind the webhook does not read, or a duplicate stop the load', async () => {
  await assert.rejects(loadPolicyStore(files({ ...cip('bad', '', 'pass') })), /policies\.yaml: ClusterImagePolicy "bad" does not compile: /);
  await assert.rejects(loadPolicyStore(files({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } })), /example\.com\/v1, Kind=Thing "t": not a kind the webhook reads/);
  await assert.rejects(loadPolicyStore(files(cip('a', 'x/**', 'pass'), cip('a', 'y/**', 'pass'))), /ClusterImagePolicy "a" is also defined in policies\.yaml/);
});

test('with a cluster, a namespace the files lack is read from it (and 404 falls back to the name label only)', async () => {
  const asked: string[] = [];
  const c = await engineOf(files(cip('good', 'good.example/**', 'pass')), async (path) => {
    asked.push(path);
    return path.endsWith('/team') ? { metadata: { name: 'team', resourceVersion: '7', labels: { 'policy.portcullis.dev/no-match': 'allow' } } } : undefined;
  });
  try {
    assert.equal((await c.engine.imageReview({ containers: [{ image: `other.example/app@${D}` }], namespace: 'team' })).allowed, true);
    assert.equal((await c.engine.imageReview({ containers: [{ image: `other.example/app@${D}` }], namespace: 'gone' })).allowed, false);
    assert.deepEqual(asked, ['/api/v1/namespaces/team', '/api/v1/namespaces/gone']);
  } finally {
    await c.close();
  }
});

test('annotation keys a webhook may answer: no slash, at most 63 characters', () => {
  assert.equal(webhookAnnotationKey('image-verification.portcullis.dev/pinned'), 'pinned');
  assert.equal(webhookAnnotationKey('validation.policy.admission.k8s.io/validation_failure'), 'validation.policy.admission.k8s.io_validation_failure');
  assert.equal(webhookAnnotationKey('x'.repeat(80)).length, 63);
});
