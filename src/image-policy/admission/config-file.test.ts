import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageVerificationConfig } from './config-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'image-verification-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const admission = (plugin: string) => `apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n${plugin}`;

test('inline configuration: durations, noMatch, cache size, registries with a CA file relative to the config', () => {
  file('ca.pem', 'PEM');
  const path = file('inline.yaml', admission(`- name: ImageVerification
  configuration:
    apiVersion: policy.portcullis.dev/v1alpha1
    kind: ImageVerificationConfiguration
    deadline: 2s
    noMatch: deny
    exemptNamespaces: [kube-system, tools]
    notaryFloorsFile: state/floors.json
    allowTTL: 10m
    denyTTL: 0s
    cacheSize: 500
    registries:
    - { host: "registry.example:5000", caFile: ca.pem }
    - { host: "10.0.0.1:5000", insecure: true }
`));
  assert.deepEqual(loadImageVerificationConfig(path), {
    deadlineMs: 2000, noMatch: 'deny', exemptNamespaces: ['kube-system', 'tools'], notaryFloorsFile: join(dir, 'state/floors.json'), allowTtlMs: 600_000, denyTtlMs: 0, maxCacheEntries: 500,
    registry: { hosts: { 'registry.example:5000': { caPem: 'PEM' }, '10.0.0.1:5000': { insecure: true } } },
  });
});

test('by path, and no entry at all', () => {
  file('iv.yaml', 'apiVersion: policy.portcullis.dev/v1alpha1\nkind: ImageVerificationConfiguration\nnoMatch: warn\n');
  assert.deepEqual(loadImageVerificationConfig(file('bypath.yaml', admission('- name: ImageVerification\n  path: iv.yaml\n'))), { noMatch: 'warn' });
  assert.equal(loadImageVerificationConfig(file('none.yaml', admission('- name: PodSecurity\n  path: ps.yaml\n'))), undefined);
});

test('strict: unknown fields, bad values and wrong kinds fail naming them', () => {
  const bad = (body: string) => () => loadImageVerificationConfig(file('bad.yaml', admission(`- name: ImageVerification\n  configuration:\n    apiVersion: policy.portcullis.dev/v1alpha1\n    kind: ImageVerificationConfiguration\n${body}`)));
  assert.throws(bad('    noMatch: maybe\n'), /noMatch: Unsupported value: "maybe"/);
  assert.throws(bad('    exemptNamespaces: kube-system\n'), /exemptNamespaces: Invalid value: "kube-system": must be a list of namespace names/);
  assert.throws(bad('    deadline: 10\n'), /deadline: Invalid value: 10: must be a duration/);
  assert.throws(bad('    deadline: 0s\n'), /deadlineMs must be a positive number/);
  assert.throws(bad('    defaultAllow: true\n'), /unknown field "defaultAllow"/);
  assert.throws(bad('    registries: [{ host: r, caFile: missing.pem }]\n'), /registries\[0\]\.caFile: Invalid value: "missing\.pem"/);
  assert.throws(() => loadImageVerificationConfig(file('kind.yaml', admission('- name: ImageVerification\n  configuration: { kind: Other }\n'))), /expected kind ImageVerificationConfiguration/);
});
