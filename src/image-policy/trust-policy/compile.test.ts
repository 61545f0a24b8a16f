import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { errorString } from '../../api/validation/field-errors.ts';
import { compilePolicy } from './compile.ts';

const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const policy = (spec: unknown, namespace?: string) => ({ metadata: { name: 'p', uid: 'u1', generation: 3, ...(namespace ? { namespace } : {}) }, spec });
const errors = (o: unknown, kind: 'ClusterImagePolicy' | 'ImagePolicy' = 'ClusterImagePolicy') => compilePolicy(o as Record<string, any>, kind).errors.map(errorString);

test('a policy compiles to globs, mode and authorities named by index; its version is uid/generation', () => {
  const { policy: p, errors: e } = compilePolicy(policy({ images: [{ glob: 'registry.example/**' }], authorities: [{ key: { data: pem } }, { name: 'dct', notary: { server: 'https://notary.example:4443', roots: [{ keyIds: ['a'.repeat(64)] }] } }, { static: { action: 'pass' } }] }), 'ClusterImagePolicy');
  assert.deepEqual(e, []);
  assert.equal(p!.mode, 'enforce');
  assert.equal(p!.label, 'ClusterImagePolicy "p"');
  assert.equal(p!.version, 'u1/3');
  assert.deepEqual(p!.authorities.map((a) => [a.type, a.name]), [['key', 'authority-0'], ['notary', 'dct'], ['static', 'authority-2']]);
});

test('what the schema cannot check is refused with the field: PEM, globs, Notary, Secret namespaces', () => {
  assert.match(errors(policy({ images: [{ glob: '**' }], authorities: [{ key: { data: 'nope' } }] }))[0]!, /^spec\.authorities\[0\]\.key\.data: Invalid value: "<PEM>": not a PEM public key/);
  assert.match(errors(policy({ images: [{ glob: '[a-z]+' }], authorities: [{ static: { action: 'fail' } }] }))[0]!, /^spec\.images\[0\]\.glob: Invalid value: "\[a-z\]\+": invalid glob/);
  assert.match(errors(policy({ images: [{ glob: '**' }], authorities: [{ notary: { server: 'http://notary', roots: [{ keyIds: ['a'.repeat(64)] }] } }] }))[0]!, /must be an https URL/);
  assert.match(errors(policy({ images: [{ glob: '**' }], authorities: [{ notary: { server: 'https://notary', roots: [{ caCertificates: 'not PEM' }] } }] }))[0]!, /notary root CA is not a PEM certificate/);
  assert.match(errors(policy({ images: [{ glob: '**' }], authorities: [{ key: { secretRef: { name: 'k' } } }] }))[0]!, /secretRef\.namespace: Required value: a ClusterImagePolicy must name/);
  assert.match(errors(policy({ images: [{ glob: '**' }], authorities: [{ key: { secretRef: { name: 'k', namespace: 'other' } } }] }, 'team'), 'ImagePolicy')[0]!, /secretRef\.namespace: Forbidden: an ImagePolicy may only name a Secret of its own namespace/);
  const notationStore = (store: Record<string, unknown>) => ({ images: [{ glob: '**' }], authorities: [{ notation: { trustStores: [{ name: 's', ...store }], trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:s'], trustedIdentities: ['*'] }] } }] });
  assert.deepEqual(errors(policy(notationStore({ configMapRef: { name: 'roots', key: 'ca.pem', namespace: 'other' } }), 'team'), 'ImagePolicy'), ['spec.authorities[0].notation.trustStores[0].configMapRef.namespace: Forbidden: an ImagePolicy may only name a ConfigMap of its own namespace']);
  assert.deepEqual(errors(policy(notationStore({ certificates: 'x', secretRef: { name: 'roots', key: 'ca.pem', namespace: 'sec' } }))), ['spec.authorities[0].notation.trustStores[0]: Invalid value: "certificates,secretRef": exactly one of certificates, secretRef or configMapRef must be set']);
  assert.deepEqual(errors(policy(notationStore({ secretRef: { name: 'roots', key: 'ca.pem', namespace: 'sec' } }))), []);
  assert.deepEqual(errors(policy({ images: [{ glob: '**' }], authorities: [{ notation: {} }] })), [
    'spec.authorities[0].notation.trustStores: Required value: at least one trust store',
    'spec.authorities[0].notation.trustPolicies: Required value',
  ]);
  assert.deepEqual(errors(policy({ images: [{ glob: '**' }], authorities: [{ keyless: {} }] })), [
    'spec.authorities[0].keyless.trustedRoot: Invalid value: "": exactly one of data, secretRef or configMapRef must be set',
    'spec.authorities[0].keyless.identities: Required value: at least one identity (issuer and subject) must be trusted',
  ]);
  assert.match(errors(policy({ images: [{ glob: '**' }], authorities: [{ keyless: { trustedRoot: { configMapRef: { name: 'r', key: 'k', namespace: 'other' } }, identities: [{ issuer: 'i', subject: 's' }] } }] }, 'team'), 'ImagePolicy')[0]!, /configMapRef\.namespace: Forbidden: an ImagePolicy may only name a ConfigMap of its own namespace/);
  assert.match(errors(policy({ images: [{ glob: '**' }], authorities: [{ static: { action: 'pass' }, attestations: [{ predicateType: 't' }] }] }))[0]!, /attestations: Forbidden: attestations are verified for keyless authorities only/);
  assert.deepEqual(errors(policy({})), ['spec.images: Required value', 'spec.authorities: Required value']);
});
