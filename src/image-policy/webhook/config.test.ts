import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imagePolicyConfigFrom, loadImagePolicyWebhookConfig } from './config.ts';
import { formatGoDuration as goDurationString } from '../../util/duration.ts';

const cfg = (imagePolicy: Record<string, unknown>) => imagePolicyConfigFrom({ imagePolicy: { kubeConfigFile: '/k', ...imagePolicy } }, 'f');

test('Go duration strings as time.Duration.String prints them', () => {
  assert.equal(goDurationString(0n), '0s');
  assert.equal(goDurationString(1n), '1ns');
  assert.equal(goDurationString(1_000_000n), '1ms');
  assert.equal(goDurationString(1_500_000n), '1.5ms');
  assert.equal(goDurationString(1_000_000_000n), '1s');
  assert.equal(goDurationString(300_000_000_000n), '5m0s');
  assert.equal(goDurationString(1_800_000_000_000n), '30m0s');
  assert.equal(goDurationString(1_801_000_000_000n), '30m1s');
  assert.equal(goDurationString(3_600_000_000_000n), '1h0m0s');
  assert.equal(goDurationString(-2_000_000_000n), '-2s');
});

test('defaults (0 or absent), disabling (-1) and values in range, in upstream units', () => {
  assert.deepEqual(cfg({}), { kubeConfigFile: '/k', retryBackoffMs: 500, allowTtlMs: 300_000, denyTtlMs: 30_000, defaultAllow: false });
  assert.deepEqual(cfg({ allowTTL: 0, denyTTL: 0, retryBackoff: 0 }), { kubeConfigFile: '/k', retryBackoffMs: 500, allowTtlMs: 300_000, denyTtlMs: 30_000, defaultAllow: false });
  assert.deepEqual(cfg({ allowTTL: -1, denyTTL: -1, retryBackoff: -1, defaultAllow: true }), { kubeConfigFile: '/k', retryBackoffMs: 0, allowTtlMs: 0, denyTtlMs: 0, defaultAllow: true });
  assert.deepEqual(cfg({ allowTTL: 50, denyTTL: 1800, retryBackoff: 1 }), { kubeConfigFile: '/k', retryBackoffMs: 1, allowTtlMs: 50_000, denyTtlMs: 1_800_000, defaultAllow: false });
});

test('out-of-range values are refused with upstream words (the minimum is exclusive)', () => {
  assert.throws(() => cfg({ allowTTL: 1 }), /f: valid value is between 1s and 30m0s, got 1s/);
  assert.throws(() => cfg({ denyTTL: 1801 }), /valid value is between 1s and 30m0s, got 30m1s/);
  assert.throws(() => cfg({ retryBackoff: 300_001 }), /valid value is between 1ns and 5m0s, got 5m0.001s/);
  assert.throws(() => cfg({ allowTTL: -2 }), /got -2s/);
  assert.throws(() => cfg({ allowTTL: 1.5 }), /imagePolicy.allowTTL: must be a whole number \(seconds\)/);
  assert.throws(() => cfg({ retryBackoff: '500' }), /imagePolicy.retryBackoff: must be a whole number \(milliseconds\)/);
});

test('missing kubeConfigFile, a misspelt field or a non-boolean defaultAllow fail the start', () => {
  assert.throws(() => imagePolicyConfigFrom({ imagePolicy: {} }, 'f'), /imagePolicy.kubeConfigFile is required/);
  assert.throws(() => imagePolicyConfigFrom({}, 'f'), /needs an imagePolicy object/);
  assert.throws(() => cfg({ defaultalow: true }), /unknown field\(s\) in imagePolicy: defaultalow/);
  assert.throws(() => cfg({ defaultAllow: 'yes' }), /defaultAllow must be true or false/);
});

test('read from an AdmissionConfiguration: inline, by relative path, or absent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipw-config-'));
  try {
    const head = 'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n';
    const inline = join(dir, 'inline.yaml');
    writeFileSync(inline, `${head}- name: ImagePolicyWebhook\n  configuration:\n    imagePolicy:\n      kubeConfigFile: /etc/k\n      allowTTL: 50\n      denyTTL: 50\n      retryBackoff: 500\n      defaultAllow: true\n`);
    assert.deepEqual(loadImagePolicyWebhookConfig(inline), { kubeConfigFile: '/etc/k', retryBackoffMs: 500, allowTtlMs: 50_000, denyTtlMs: 50_000, defaultAllow: true });
    writeFileSync(join(dir, 'ipw.yaml'), 'imagePolicy:\n  kubeConfigFile: /etc/k\n  denyTTL: 2\n');
    const byPath = join(dir, 'path.yaml');
    writeFileSync(byPath, `${head}- name: ImagePolicyWebhook\n  path: ipw.yaml\n`);
    assert.equal(loadImagePolicyWebhookConfig(byPath)?.denyTtlMs, 2000);
    const none = join(dir, 'none.yaml');
    writeFileSync(none, `${head}- name: PodSecurity\n  configuration: {}\n`);
    assert.equal(loadImagePolicyWebhookConfig(none), undefined);
    const legacy = join(dir, 'legacy.yaml');
    writeFileSync(legacy, 'imagePolicy:\n  kubeConfigFile: /etc/k\n');
    assert.throws(() => loadImagePolicyWebhookConfig(legacy), /expected kind AdmissionConfiguration/);
    // The envelope is read by the one AdmissionConfiguration reader (plugin-config-file.ts), strictly:
    // a misspelt field around the plugin's entry is refused rather than the entry silently missed.
    const misspelt = join(dir, 'misspelt.yaml');
    writeFileSync(misspelt, `${head}- name: ImagePolicyWebhook\n  configuraton:\n    imagePolicy:\n      kubeConfigFile: /etc/k\n`);
    assert.throws(() => loadImagePolicyWebhookConfig(misspelt), /strict decoding error: unknown field "plugins\[0\]\.configuraton"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
