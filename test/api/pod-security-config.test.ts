import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPodSecurityConfig } from '../../src/admission/pod-security/config-file.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** Cluster-wide PodSecurity defaults and exemptions from an AdmissionConfiguration file. */
const dir = mkdtempSync(join(tmpdir(), 'portcullis-psa-'));
let c: TestCluster;
before(async () => {
  const file = join(dir, 'admission.yaml');
  writeFileSync(
    file,
    `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: baseline, enforce-version: latest, audit: privileged, audit-version: latest, warn: privileged, warn-version: latest}
    exemptions: {usernames: [], runtimeClasses: [], namespaces: [kube-system]}
`,
  );
  c = await startTestCluster({ admission: { podSecurity: loadPodSecurityConfig(file) } });
});
after(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the configured default level applies to unlabelled namespaces; exempt namespaces are not checked', async () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hn' }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox' }] } };
  const denied = await c.admin.post('/api/v1/namespaces/default/pods', pod);
  assert.equal(denied.status, 403, denied.text);
  assert.match(denied.body.message, /violates PodSecurity "baseline:latest": host namespaces \(hostNetwork=true\)/);
  let ok;
  for (let i = 0; i < 50; i++) {
    ok = await c.admin.post('/api/v1/namespaces/kube-system/pods', pod);
    if (ok.status === 201) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(ok!.status, 201, ok!.text);
});

test('a malformed configuration names the problem', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults: {enforce: superstrict}\n');
  assert.throws(() => loadPodSecurityConfig(bad), /defaults.enforce: Invalid value: "superstrict": must be one of privileged, baseline, restricted/);
});
