import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEncryptionConfig, parseEncryptionConfig, parseGroupResource } from './config.ts';

const KEY32 = Buffer.alloc(32, 7).toString('base64');
const doc = (resources: unknown) => ({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources });
const refused = (d: unknown, message: string) => assert.throws(() => parseEncryptionConfig(d), (e: Error) => (assert.equal(e.message, message), true));

describe('EncryptionConfiguration', () => {
  test('reads providers in order, keys decoded, resources as group resources', () => {
    const c = parseEncryptionConfig(doc([{ resources: ['secrets', '*.apps'], providers: [{ aesgcm: { keys: [{ name: 'k1', secret: KEY32 }] } }, { identity: {} }] }]));
    assert.deepEqual(c.rules[0]!.resources, [{ group: '', resource: 'secrets' }, { group: 'apps', resource: '*' }]);
    assert.equal(c.rules[0]!.providers[0]!.type, 'aesgcm');
    assert.deepEqual(c.rules[0]!.providers[1], { type: 'identity' });
    const p = c.rules[0]!.providers[0] as { keys: Array<{ name: string; secret: Buffer }> };
    assert.equal(p.keys[0]!.secret.length, 32);
  });

  test('parseGroupResource splits at the first dot', () => {
    assert.deepEqual(parseGroupResource('*.'), { group: '', resource: '*' });
    assert.deepEqual(parseGroupResource('*.*'), { group: '*', resource: '*' });
    assert.deepEqual(parseGroupResource('widgets.example.com'), { group: 'example.com', resource: 'widgets' });
  });

  test("key sizes, names and base64 are checked with upstream's messages", () => {
    refused(doc([{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'k', secret: Buffer.alloc(8).toString('base64') }] } }] }]), 'error while parsing file: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]');
    refused(doc([{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'k', secret: Buffer.alloc(16).toString('base64') }] } }] }]), 'error while parsing file: resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]');
    refused(doc([{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ secret: KEY32 }] } }] }]), 'error while parsing file: resources[0].providers[0].aesgcm.keys[0].name: Required value: name is a mandatory field for a key');
    refused(doc([{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'k', secret: 'not base64!' }] } }] }]), 'error while parsing file: resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded');
    refused(doc([{ resources: ['secrets'], providers: [{ aesgcm: { keys: [] } }] }]), 'error while parsing file: resources[0].providers[0].aesgcm.keys: Required value: at least one keys is required');
  });

  test('resource lists: duplicates, overlap, capitals, events.k8s.io, extensions, resource.*', () => {
    const p = [{ identity: {} }];
    refused(doc([{ resources: ['secrets', 'secrets'], providers: p }]), 'error while parsing file: resources[0].resources: Invalid value: ["secrets","secrets"]: the same resource cannot be specified multiple times');
    refused(doc([{ resources: ['secrets', '*.'], providers: p }]), `error while parsing file: resources[0].resources: Invalid value: ["secrets","*."]: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked`);
    refused(doc([{ resources: ['Secrets'], providers: p }]), 'error while parsing file: resources[0].resources[0]: Invalid value: "Secrets": resource name should not contain capital letters');
    refused(doc([{ resources: ['*'], providers: p }]), `error while parsing file: resources[0].resources[0]: Invalid value: "*": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`);
    refused(doc([{ resources: ['events.events.k8s.io'], providers: p }]), `error while parsing file: resources[0].resources[0]: Invalid value: "events.events.k8s.io": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`);
    refused(doc([{ resources: ['secrets.*'], providers: p }]), 'error while parsing file: resources[0].resources[0]: Invalid value: "secrets.*": encrypting the same resource across groups is not supported');
    refused(doc([{ resources: ['serviceipallocations'], providers: p }]), 'error while parsing file: resources[0].resources[0]: Invalid value: "serviceipallocations": resources which do not have REST API/s cannot be encrypted');
  });

  test('several errors are reported together; empty lists are required values', () => {
    refused(doc([{ resources: [], providers: [] }]), 'error while parsing file: [resources[0].resources: Required value: at least one resources[0].resources is required, resources[0].providers: Required value: at least one resources[0].providers is required]');
    refused(doc([]), 'error while parsing file: resources: Required value: at least one resources is required');
    refused(doc([{ resources: ['secrets'], providers: [{ identity: {}, aescbc: { keys: [{ name: 'a', secret: KEY32 }] } }] }]), 'error while parsing file: resources[0].providers[0]: Invalid value: "REDACTED": more than one provider specified in a single element, should split into different list elements');
    refused(doc([{ resources: ['secrets'], providers: [{}] }]), 'error while parsing file: resources[0].providers[0]: Invalid value: "REDACTED": provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity');
  });

  test('a later rule masked by an earlier *.group or *.* is refused', () => {
    refused(doc([{ resources: ['*.'], providers: [{ identity: {} }] }, { resources: ['secrets'], providers: [{ identity: {} }] }]), 'resource "secrets" is masked by earlier rule "*."');
    refused(doc([{ resources: ['*.*'], providers: [{ identity: {} }] }, { resources: ['deployments.apps'], providers: [{ identity: {} }] }]), 'resource "deployments.apps" is masked by earlier rule "*.*"');
  });

  test('kms v2 is taken with its name, socket and timeout; v1 and bad fields are refused as upstream', () => {
    const kms = (k: Record<string, unknown>) => doc([{ resources: ['secrets'], providers: [{ kms: k }] }]);
    assert.deepEqual(parseEncryptionConfig(kms({ apiVersion: 'v2', name: 'vault', endpoint: 'unix:///tmp/kms.sock' })).rules[0]!.providers, [{ type: 'kms', name: 'vault', endpoint: 'unix:///tmp/kms.sock', timeoutMs: 3000 }]);
    assert.equal((parseEncryptionConfig(kms({ apiVersion: 'v2', name: 'v', endpoint: 'unix:///s', timeout: '1.5s' })).rules[0]!.providers[0] as { timeoutMs: number }).timeoutMs, 1500);
    refused(kms({ name: 'old', endpoint: 'unix:///s' }), 'error while parsing file: KMSv1 is deprecated and will only receive security updates going forward. Use KMSv2 instead.  Set --feature-gates=KMSv1=true to use the deprecated KMSv1 feature.');
    refused(kms({ apiVersion: 'v2', endpoint: 'unix:///s' }), 'error while parsing file: resources[0].providers[0].kms.name: Required value: name is a mandatory field for a provider');
    refused(kms({ apiVersion: 'v2', name: 'a:b', endpoint: 'unix:///s' }), `error while parsing file: resources[0].providers[0].kms.name: Invalid value: "a:b": invalid KMS provider name a:b, must not contain ':'`);
    refused(kms({ apiVersion: 'v2', name: 'a', endpoint: 'https://kms' }), 'error while parsing file: resources[0].providers[0].kms.endpoint: Invalid value: "https://kms": unsupported scheme "https" for KMS provider, only unix is supported');
    refused(kms({ apiVersion: 'v2', name: 'a', endpoint: 'unix:///s', timeout: '0s' }), 'error while parsing file: resources[0].providers[0].kms.timeout: Invalid value: 0s: timeout should be a positive value');
    refused(kms({ apiVersion: 'v2', name: 'a', endpoint: 'unix:///s', cachesize: 10 }), 'error while parsing file: resources[0].providers[0].kms.cachesize: Invalid value: 10: cachesize is not supported in v2');
    refused(kms({ apiVersion: 'v3', name: 'a', endpoint: 'unix:///s' }), 'error while parsing file: resources[0].providers[0].kms.apiVersion: Invalid value: "v3": unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported');
    refused(
      doc([{ resources: ['secrets'], providers: [{ kms: { apiVersion: 'v2', name: 'a', endpoint: 'unix:///s' } }] }, { resources: ['configmaps'], providers: [{ kms: { apiVersion: 'v2', name: 'a', endpoint: 'unix:///t' } }] }]),
      'error while parsing file: resources[1].providers[0].kms.name: Invalid value: "a": duplicate KMS provider name a, names must be unique',
    );
  });

  test('wrong kind or version is refused', () => {
    assert.throws(() => parseEncryptionConfig({ apiVersion: 'v1', kind: 'EncryptionConfig', resources: [] }), /no kind "EncryptionConfig" is registered for version "v1"/);
  });

  test('the file is read as YAML; a missing or empty file is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-enc-'));
    try {
      const f = join(dir, 'enc.yaml');
      writeFileSync(f, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys:\n            - name: key1\n              secret: ${KEY32}\n      - identity: {}\n`);
      assert.equal(loadEncryptionConfig(f).rules[0]!.providers[0]!.type, 'secretbox');
      writeFileSync(f, '');
      assert.throws(() => loadEncryptionConfig(f), /encryption provider configuration file ".*enc.yaml" is empty/);
      assert.throws(() => loadEncryptionConfig(join(dir, 'missing.yaml')), /error reading encryption provider configuration file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that is not valid YAML: the error names the line, never the key on it (it is logged on a failed reload)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-enc-'));
    try {
      const f = join(dir, 'enc.yaml');
      writeFileSync(f, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys:\n            - name: key1\n              secret: ${KEY32}: x\n`);
      assert.throws(() => loadEncryptionConfig(f), (err: Error) => {
        assert.match(err.message, /^error while parsing file: error decoding encryption provider configuration file ".*enc.yaml": yaml: line 9: /);
        assert.ok(!err.message.includes(KEY32.slice(0, 10)), err.message);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
