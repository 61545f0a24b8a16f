import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POD_SECURITY_CONFIG } from '../plugins/pod-security.ts';
import { loadPodSecurityConfig } from './config-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'psa-config-'));
let n = 0;
function file(text: string, name = `c${++n}.yaml`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const admission = (pluginYaml: string) => `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
${pluginYaml}`;
const inline = (body: string, kind = 'PodSecurityConfiguration', version = 'pod-security.admission.config.k8s.io/v1') =>
  admission(`  configuration:\n    apiVersion: ${version}\n    kind: ${kind}\n${body.replace(/^/gm, '    ')}`);

test('inline configuration: defaults and exemptions', () => {
  const got = loadPodSecurityConfig(file(inline(`defaults:
  enforce: baseline
  enforce-version: v1.30
  audit: restricted
  warn: restricted
  warn-version: latest
exemptions:
  usernames: [system:serviceaccount:kube-system:replicaset-controller]
  runtimeClasses: [kata]
  namespaces: [kube-system]`)));
  assert.deepEqual(got, {
    defaults: {
      enforce: { level: 'baseline', version: 'v1.30' },
      audit: { level: 'restricted', version: 'latest' },
      warn: { level: 'restricted', version: 'latest' },
    },
    exemptions: { usernames: ['system:serviceaccount:kube-system:replicaset-controller'], runtimeClasses: ['kata'], namespaces: ['kube-system'] },
  });
});

test('configuration in a separate file, relative to the admission config', () => {
  file('apiVersion: pod-security.admission.config.k8s.io/v1beta1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: restricted\n', 'psa.yaml');
  const got = loadPodSecurityConfig(file(admission('  path: psa.yaml\n')));
  assert.deepEqual(got.defaults.enforce, { level: 'restricted', version: 'latest' });
  assert.deepEqual(got.defaults.warn, { level: 'privileged', version: 'latest' });
});

test('no PodSecurity entry gives the defaults', () => {
  const got = loadPodSecurityConfig(file('apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: erl.yaml\n'));
  assert.deepEqual(got, DEFAULT_POD_SECURITY_CONFIG);
});

const bad: [string, string, RegExp][] = [
  ['unknown level', inline('defaults:\n  enforce: strict\n'),
    /defaults\.enforce: Invalid value: "strict": must be one of privileged, baseline, restricted/],
  ['bad version', inline('defaults:\n  audit-version: "1.30"\n'), /defaults\.audit-version: Invalid value: "1\.30": must be "latest" or "v1\.x"/],
  ['unknown field in defaults', inline('defaults:\n  enforc: restricted\n'), /strict decoding error: unknown field "defaults\.enforc"/],
  ['unknown top-level field', inline('default:\n  enforce: restricted\n'), /strict decoding error: unknown field "default"/],
  ['unknown field in a plugin entry', admission('  paths: x.yaml\n'), /unknown field "plugins\[0\]\.paths"/],
  ['wrong configuration kind', inline('defaults: {}\n', 'PodSecurityConfig'), /expected kind PodSecurityConfiguration.*got kind "PodSecurityConfig"/],
  ['wrong configuration version', inline('defaults: {}\n', 'PodSecurityConfiguration', 'pod-security.admission.config.k8s.io/v2'), /apiVersion "pod-security\.admission\.config\.k8s\.io\/v2"/],
  ['wrong file kind', 'apiVersion: v1\nkind: ConfigMap\n', /expected kind AdmissionConfiguration/],
  ['bad namespace', inline('exemptions:\n  namespaces: [Kube_System]\n'), /exemptions\.namespaces\[0\]: Invalid value: "Kube_System": a lowercase RFC 1123 label/],
  ['empty username', inline('exemptions:\n  usernames: [" "]\n'), /exemptions\.usernames\[0\]: Invalid value: " ": must be non-empty/],
  ['duplicate runtime class', inline('exemptions:\n  runtimeClasses: [a, a]\n'), /exemptions\.runtimeClasses\[1\]: Duplicate value: "a"/],
  ['not YAML', ': : :\n  - [', /failed to parse/],
  ['missing referenced file', admission('  path: nope.yaml\n'), /failed to read admission config file .*nope\.yaml/],
];

for (const [what, text, want] of bad) {
  test(`malformed: ${what}`, () => {
    assert.throws(() => loadPodSecurityConfig(file(text)), want);
  });
}

test('several problems are reported together', () => {
  assert.throws(() => loadPodSecurityConfig(file(inline('defaults:\n  enforce: x\n  warn: y\n'))), /\[defaults\.enforce: .*, defaults\.warn: .*\]/);
});
