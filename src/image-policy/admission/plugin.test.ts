// ImageVerification's decisions with static authorities and digest references (no registry):
// what is checked on create and update, templates, modes, policy writes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { customResourcePrefix } from '../../api/registry/resource-def.ts';
import type { AdmissionAttributes } from '../../admission/types.ts';
import { ImageVerification } from './plugin.ts';

const store = openSqliteStore({ path: ':memory:' });
const plugin = new ImageVerification({ store, log: pino({ level: 'silent' }), now: () => new Date() }, { deadlineMs: 2000 });
after(() => {
  plugin.close();
  store.close();
});

const D = `sha256:${'a'.repeat(64)}`;
let gen = 0;
async function cip(name: string, spec: Record<string, unknown>): Promise<void> {
  await store.create(`${customResourcePrefix('policy.portcullis.dev', 'clusterimagepolicies')}${name}`, { apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name, uid: `uid-${name}`, generation: ++gen }, spec });
  // The watch delivers it: wait until the plugin sees it (its images are no longer NO_POLICY).
  for (let i = 0; i < 200; i++) {
    const r = await plugin.admit(podAttrs('CREATE', pod(`${name}.example/probe@${D}`)));
    if (!/NO_POLICY/.test(r.reason ?? '') && (await plugin.admit(podAttrs('CREATE', pod(`unmatched.example/probe@${D}`)))).allowed === false) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  assert.fail(`the plugin did not see ClusterImagePolicy ${name}`);
}

function pod(...images: string[]) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
}
function podAttrs(operation: 'CREATE' | 'UPDATE', object: Record<string, any>, oldObject?: Record<string, any>, subresource = '', namespace = 'default'): AdmissionAttributes {
  return { operation, object, oldObject, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, subresource, namespace, name: 'p', user: { username: 'u', groups: [] }, dryRun: false };
}

test('no policy: everything admitted untouched', async () => {
  const p = pod('busybox:1.36');
  assert.deepEqual(await plugin.admit(podAttrs('CREATE', p)), { allowed: true });
  assert.equal(p.spec.containers[0]!.image, 'busybox:1.36');
});

test('static authorities, modes, updates and ephemeral containers', async () => {
  await cip('pass', { images: [{ glob: 'pass.example/**' }], authorities: [{ static: { action: 'pass' } }] });
  await cip('fail', { images: [{ glob: 'fail.example/**' }], authorities: [{ static: { action: 'fail' } }] });
  await cip('warn', { mode: 'warn', images: [{ glob: 'warn.example/**' }], authorities: [{ static: { action: 'fail' } }] });
  await cip('audit', { mode: 'audit', images: [{ glob: 'audit.example/**' }], authorities: [{ static: { action: 'fail' } }] });

  assert.equal((await plugin.admit(podAttrs('CREATE', pod(`pass.example/app@${D}`)))).allowed, true);
  const denied = await plugin.admit(podAttrs('CREATE', pod(`pass.example/app@${D}`, `fail.example/app@${D}`)));
  assert.equal(denied.allowed, false);
  assert.equal(denied.reason, `image "fail.example/app@${D}" (spec.containers[1].image) is not allowed by ClusterImagePolicy "fail": UNTRUSTED_KEY: the policy refuses every image it matches (static fail)`);
  assert.match(denied.auditAnnotations!['image-verification.portcullis.dev/denied']!, /ClusterImagePolicy "fail"/);

  const warned = await plugin.admit(podAttrs('CREATE', pod(`warn.example/app@${D}`)));
  assert.equal(warned.allowed, true);
  assert.match(warned.warnings![0]!, /ClusterImagePolicy "warn": UNTRUSTED_KEY/);
  const audited = await plugin.admit(podAttrs('CREATE', pod(`audit.example/app@${D}`)));
  assert.equal(audited.allowed, true);
  assert.equal(audited.warnings, undefined);
  assert.match(audited.auditAnnotations!['image-verification.portcullis.dev/audit-violations']!, /ClusterImagePolicy "audit"/);

  // An update is checked for what it changes only.
  const old = pod(`fail.example/app@${D}`);
  const same = structuredClone(old);
  (same.metadata as Record<string, unknown>)['labels'] = { a: 'b' };
  assert.equal((await plugin.admit(podAttrs('UPDATE', same, old))).allowed, true);
  const changed = pod(`pass.example/app@${D}`);
  assert.equal((await plugin.admit(podAttrs('UPDATE', pod(`fail.example/other@${D}`), changed))).allowed, false);
  const eph = { ...pod(`pass.example/app@${D}`), spec: { containers: [{ name: 'c0', image: `pass.example/app@${D}` }], ephemeralContainers: [{ name: 'dbg', image: `fail.example/debug@${D}` }] } };
  const e = await plugin.admit(podAttrs('UPDATE', eph, pod(`pass.example/app@${D}`), 'ephemeralcontainers'));
  assert.equal(e.allowed, false);
  assert.match(e.reason!, /spec\.ephemeralContainers\[0\]\.image/);
});

test('templates are warned about, never denied; policy writes that do not compile are refused', async () => {
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { initContainers: [{ name: 'i', image: `fail.example/init@${D}` }], containers: [] } } } };
  const attrs: AdmissionAttributes = { ...podAttrs('CREATE', deploy), kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' } };
  assert.equal(plugin.handles(attrs), true);
  const r = await plugin.admit(attrs);
  assert.equal(r.allowed, true);
  assert.match(r.warnings![0]!, /^Deployment template: image "fail\.example\/init@sha256:a+" \(spec\.template\.spec\.initContainers\[0\]\.image\) is not allowed by ClusterImagePolicy "fail": UNTRUSTED_KEY: .* \(pods created from it will be denied\)$/);

  const bad = { apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name: 'bad' }, spec: { images: [{ glob: '**' }], authorities: [{ key: { data: 'not a key' } }] } };
  const write: AdmissionAttributes = { ...podAttrs('CREATE', bad), kind: { group: 'policy.portcullis.dev', version: 'v1alpha1', kind: 'ClusterImagePolicy' }, resource: { group: 'policy.portcullis.dev', version: 'v1alpha1', resource: 'clusterimagepolicies' }, namespace: '', name: 'bad' };
  assert.equal(plugin.handles(write), true);
  const v = await plugin.validate(write);
  assert.equal(v.allowed, false);
  assert.equal(v.error?.code, 422);
  assert.match(v.error!.message, /^ClusterImagePolicy\.policy\.portcullis\.dev "bad" is invalid: spec\.authorities\[0\]\.key\.data: Invalid value/);
  assert.equal(plugin.handles({ ...podAttrs('UPDATE', pod()), subresource: 'status' }), false);
});

test('once a policy exists, an image no policy matches is NO_POLICY unless its namespace is exempt', async () => {
  // The policies of the tests above exist; `other.example` matches none of them.
  const image = `other.example/app@${D}`;
  const denied = await plugin.admit(podAttrs('CREATE', pod(image)));
  assert.equal(denied.allowed, false);
  assert.equal(denied.reason, `image "${image}" (spec.containers[0].image): NO_POLICY: no image policy matches it`);
  assert.equal((await plugin.admit(podAttrs('CREATE', pod(image), undefined, '', 'kube-system'))).allowed, true, 'kube-system is exempt by default');
  for (const [ns, label] of [['opted-out', 'allow'], ['lenient', 'warn'], ['kube-public', 'deny']] as const) {
    await store.create(`/registry/core/namespaces/${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'policy.portcullis.dev/no-match': label } } });
  }
  assert.deepEqual(await plugin.admit(podAttrs('CREATE', pod(image), undefined, '', 'opted-out')), { allowed: true });
  const warned = await plugin.admit(podAttrs('CREATE', pod(image), undefined, '', 'lenient'));
  assert.equal(warned.allowed, true);
  assert.match(warned.warnings![0]!, /NO_POLICY/);
  assert.equal((await plugin.admit(podAttrs('CREATE', pod(image), undefined, '', 'kube-public'))).allowed, false);

  // Configured: other exempt namespaces (kube-system no longer, unless listed), or allow by default.
  const custom = new ImageVerification({ store, log: pino({ level: 'silent' }), now: () => new Date() }, { exemptNamespaces: ['tools'] });
  const lenient = new ImageVerification({ store, log: pino({ level: 'silent' }), now: () => new Date() }, { noMatch: 'allow' });
  try {
    for (let i = 0; i < 200 && (await custom.admit(podAttrs('CREATE', pod(image), undefined, '', 'default'))).allowed; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal((await custom.admit(podAttrs('CREATE', pod(image), undefined, '', 'tools'))).allowed, true);
    assert.equal((await custom.admit(podAttrs('CREATE', pod(image), undefined, '', 'kube-system'))).allowed, false);
    assert.equal((await lenient.admit(podAttrs('CREATE', pod(image)))).allowed, true);
  } finally {
    custom.close();
    lenient.close();
  }
  assert.throws(() => new ImageVerification({ store, log: pino({ level: 'silent' }), now: () => new Date() }, { exemptNamespaces: [''] }), /exemptNamespaces must be a list of namespace names/);
});
