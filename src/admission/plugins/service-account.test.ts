import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceAccount, TOKEN_MOUNT_PATH, tokenVolumeSource } from './service-account.ts';
import { attrs, container, pod, testDeps } from '../quota/testing.ts';

async function setup(accounts: Record<string, any>[] = [{ metadata: { name: 'default', namespace: 'ns' } }]) {
  const deps = testDeps();
  for (const sa of accounts) await deps.store.create(`/registry/core/serviceaccounts/ns/${sa.metadata.name}`, { apiVersion: 'v1', kind: 'ServiceAccount', ...sa });
  return new ServiceAccount(deps, { retryDelayMs: () => 0 });
}

test('a pod runs as default and gets the projected token volume in every container', async () => {
  const plugin = await setup();
  const p = pod('p', [container('a'), container('b')], { initContainers: [container('i')] });
  assert.deepEqual(await plugin.admit(attrs('pods', p)), { allowed: true });
  assert.equal(p.spec.serviceAccountName, 'default');
  // random() is 0 in tests: the first of upstream's alphabet, five times.
  assert.deepEqual(p.spec.volumes, [{ name: 'kube-api-access-bbbbb', projected: tokenVolumeSource() }]);
  for (const c of [...p.spec.containers, ...p.spec.initContainers]) {
    assert.deepEqual(c.volumeMounts, [{ name: 'kube-api-access-bbbbb', readOnly: true, mountPath: TOKEN_MOUNT_PATH }]);
  }
  assert.deepEqual(tokenVolumeSource().sources[0], { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } });
  assert.equal(tokenVolumeSource().defaultMode, 420);
});

test('automount: the pod setting wins over the account, and a container with its own mount keeps it', async () => {
  const plugin = await setup([{ metadata: { name: 'default' } }, { metadata: { name: 'quiet' }, automountServiceAccountToken: false }]);
  const cases: { sa?: string; podAuto?: boolean; mounted: boolean }[] = [
    { mounted: true },
    { podAuto: false, mounted: false },
    { sa: 'quiet', mounted: false },
    { sa: 'quiet', podAuto: true, mounted: true },
  ];
  for (const c of cases) {
    const extra: Record<string, any> = {};
    if (c.sa) extra.serviceAccountName = c.sa;
    if (c.podAuto !== undefined) extra.automountServiceAccountToken = c.podAuto;
    const p = pod('p', [container('a')], extra);
    await plugin.admit(attrs('pods', p));
    assert.equal(p.spec.volumes !== undefined, c.mounted, JSON.stringify(c));
  }
  const own = pod('p', [{ ...container('a'), volumeMounts: [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }] }]);
  await plugin.admit(attrs('pods', own));
  assert.equal(own.spec.volumes, undefined);
  assert.equal(own.spec.containers[0].volumeMounts.length, 1);
});

test('a missing account is a 403 with upstream message', async () => {
  const plugin = await setup([]);
  assert.deepEqual(await plugin.admit(attrs('pods', pod('p', [container('a')]))), {
    allowed: false,
    code: 403,
    reason: 'error looking up service account ns/default: serviceaccount "default" not found',
  });
  assert.equal((await plugin.admit(attrs('pods', pod('p', [container('a')], { serviceAccountName: 'robot' })))).reason, 'error looking up service account ns/robot: serviceaccount "robot" not found');
});

test('image pull secrets of the account are copied to a pod without any', async () => {
  const plugin = await setup([{ metadata: { name: 'default' }, imagePullSecrets: [{ name: 'reg' }] }]);
  const p = pod('p', [container('a')]);
  await plugin.admit(attrs('pods', p));
  assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'reg' }]);
});

test('mirror pods are not changed and may not reference accounts or secrets', async () => {
  const plugin = await setup();
  const mirror = (extra: Record<string, any>): Record<string, any> => ({ ...pod('m', [container('a')], extra), metadata: { name: 'm', annotations: { 'kubernetes.io/config.mirror': 'x' } } });
  const ok = mirror({});
  assert.deepEqual(await plugin.admit(attrs('pods', ok)), { allowed: true });
  assert.equal(ok.spec.serviceAccountName, undefined);
  assert.equal((await plugin.admit(attrs('pods', mirror({ serviceAccountName: 'x' })))).reason, 'a mirror pod may not reference service accounts');
  assert.equal((await plugin.admit(attrs('pods', mirror({ volumes: [{ name: 'v', secret: { secretName: 's' } }] })))).reason, 'a mirror pod may not reference secrets');
  assert.equal(
    (await plugin.admit(attrs('pods', mirror({ volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }] })))).reason,
    'a mirror pod may not use ServiceAccountToken volume projections',
  );
});

test('enforce-mountable-secrets limits the secrets a pod may use to those of its account', async () => {
  const plugin = await setup([{ metadata: { name: 'default', annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' } }, secrets: [{ name: 'ok' }] }]);
  assert.equal((await plugin.admit(attrs('pods', pod('p', [container('a')], { volumes: [{ name: 'v', secret: { secretName: 'ok' } }] })))).allowed, true);
  assert.equal(
    (await plugin.admit(attrs('pods', pod('p', [container('a')], { volumes: [{ name: 'v', secret: { secretName: 'other' } }] })))).reason,
    'volume with secret.secretName="other" is not allowed because service account default does not reference that secret',
  );
});

test('only pod creates (and ephemeral container writes) are handled', async () => {
  const plugin = await setup();
  assert.equal(plugin.handles(attrs('pods', pod('p', []), { op: 'UPDATE' })), false);
  assert.equal(plugin.handles(attrs('pods', pod('p', []), { subresource: 'binding' })), false);
  assert.equal(plugin.handles(attrs('configmaps', { metadata: { name: 'c' } })), false);
});

test('enforce-mountable-secrets covers envFrom (CVE-2024-3177) and ephemeral containers added through pods/ephemeralcontainers', async () => {
  const enforced = { metadata: { name: 'default', annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' } }, secrets: [{ name: 'ok' }] };
  const plugin = await setup([enforced, { metadata: { name: 'open' } }]);
  const tail = 'is not allowed because service account default does not reference that secret';
  const envFrom = (name: string) => ({ ...container('a'), envFrom: [{ secretRef: { name } }] });
  assert.equal((await plugin.validate(attrs('pods', pod('p', [envFrom('ok')], { serviceAccountName: 'default' })))).allowed, true);
  assert.deepEqual(await plugin.validate(attrs('pods', pod('p', [envFrom('other')], { serviceAccountName: 'default' }))), {
    allowed: false, code: 403, reason: `container a with envFrom referencing secret.secretName="other" ${tail}`,
  });
  assert.equal(
    (await plugin.validate(attrs('pods', pod('p', [container('a')], { serviceAccountName: 'default', initContainers: [{ ...envFrom('other'), name: 'i' }] })))).reason,
    `init container i with envFrom referencing secret.secretName="other" ${tail}`,
  );

  // A debug container added to a running pod: validated (not mutated) as upstream's limitEphemeralContainerSecretReferences.
  const stored = pod('p', [container('a')], { serviceAccountName: 'default' });
  const withEph = (ec: Record<string, any>, sa = 'default') => ({ ...stored, spec: { ...stored.spec, serviceAccountName: sa, ephemeralContainers: [ec] } });
  const eph = (obj: Record<string, any>) => attrs('pods', obj, { op: 'UPDATE', subresource: 'ephemeralcontainers', oldObject: stored });
  const envVar = { name: 'dbg', image: 'busybox', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'other', key: 'k' } } }] };
  assert.equal(plugin.handles(eph(withEph(envVar))), true);
  const obj = withEph(envVar);
  assert.deepEqual(await plugin.admit(eph(obj)), { allowed: true });
  assert.equal(obj.spec.volumes, undefined, 'an update is not mutated');
  assert.deepEqual(await plugin.validate(eph(withEph(envVar))), {
    allowed: false, code: 500, reason: `ephemeral container dbg with envVar S referencing secret.secretName="other" ${tail}`,
  });
  assert.deepEqual(await plugin.validate(eph(withEph({ name: 'dbg', image: 'busybox', envFrom: [{ secretRef: { name: 'other' } }] }))), {
    allowed: false, code: 500, reason: `ephemeral container dbg with envFrom referencing secret.secretName="other" ${tail}`,
  });
  assert.deepEqual(await plugin.validate(eph(withEph({ name: 'dbg', image: 'busybox', envFrom: [{ secretRef: { name: 'ok' } }] }))), { allowed: true });
  assert.deepEqual(await plugin.validate(eph(withEph(envVar, 'open'))), { allowed: true });
  assert.deepEqual(await plugin.validate(eph(withEph(envVar, ''))), { allowed: false, code: 403, reason: 'no service account specified for pod ns/p' });
  assert.deepEqual(await plugin.validate(eph(withEph(envVar, 'gone'))), {
    allowed: false, code: 403, reason: 'error looking up service account ns/gone: serviceaccount "gone" not found',
  });
  // Other pod updates and subresources stay unhandled.
  assert.equal(plugin.handles(attrs('pods', obj, { op: 'UPDATE', subresource: 'resize' })), false);
});
