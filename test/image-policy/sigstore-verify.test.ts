/**
 * Unit tests of the Sigstore bundle verifier with a private instance (sigstore-fixtures.ts):
 * artifact and digest input, subjects, identities (exact and RE2, unanchored as cosign), trusted
 * roots that cannot date a certificate, tampering, trusted keys tried in turn, root parsing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundle } from '../../src/image-policy/verifiers/sigstore/bundle-verify.ts';
import { compileAttestationCondition, conditionHolds } from '../../src/image-policy/verifiers/sigstore/attestation-condition.ts';
import { identityMatches, identityProblems } from '../../src/image-policy/verifiers/sigstore/identity.ts';
import { keysOnlyTrust, loadTrustedRoot } from '../../src/image-policy/verifiers/sigstore/trusted-root.ts';
import { reasonCode } from '../helpers/registry.ts';
import { TestSigstore } from './sigstore-fixtures.ts';

const sigstore = new TestSigstore();
const trust = loadTrustedRoot(sigstore.trustedRootJson);
const who = { subject: 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1', issuer: 'https://token.actions.githubusercontent.com' };
const artifact = Buffer.from('{"schemaVersion":2}');
const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`;
const other = `sha256:${'0'.repeat(64)}`;

test('a message signature verifies with the artifact and with its digest, not with another digest', () => {
  const bundle = sigstore.signArtifact(who, artifact);
  for (const subject of [{ artifact }, { digest }]) {
    const r = verifyBundle({ bundle, subject, trust, identities: [who] });
    assert.deepEqual(r.signer, { kind: 'keyless', ...who });
    assert.equal(r.statement, undefined);
  }
  assert.throws(() => verifyBundle({ bundle, subject: { digest: other }, trust, identities: [who] }), reasonCode('SUBJECT_MISMATCH'));
  assert.throws(() => verifyBundle({ bundle, subject: { artifact: Buffer.from('other') }, trust, identities: [who] }), reasonCode('SUBJECT_MISMATCH'));
});

test('a DSSE attestation returns its statement; a statement about another digest is SUBJECT_MISMATCH', () => {
  const bundle = sigstore.attest(who, { subjectName: 'reg/app', digest, predicateType: 'https://slsa.dev/provenance/v1', predicate: { ok: true } });
  const r = verifyBundle({ bundle, subject: { digest }, trust, identities: [who] });
  assert.equal(r.statement?.predicateType, 'https://slsa.dev/provenance/v1');
  assert.deepEqual(r.statement?.predicate, { ok: true });
  assert.throws(() => verifyBundle({ bundle, subject: { digest: other }, trust, identities: [who] }), reasonCode('SUBJECT_MISMATCH'));
});

test('identities: exact, RE2 found anywhere unless anchored; no identity, wrong issuer or another CA is UNTRUSTED_KEY', () => {
  const bundle = sigstore.signArtifact(who, artifact);
  const check = (identities: Parameters<typeof verifyBundle>[0]['identities']) => () => verifyBundle({ bundle, subject: { digest }, trust, identities });
  check([{ issuer: who.issuer, subjectRegExp: 'acme/app/' }])();
  check([{ issuerRegExp: '^https://token\\.actions\\.githubusercontent\\.com$', subjectRegExp: '@refs/tags/v[0-9]+$' }])();
  assert.throws(check([{ issuer: who.issuer, subjectRegExp: '^acme/app/' }]), reasonCode('UNTRUSTED_KEY'));
  assert.throws(check([{ issuer: 'https://accounts.google.com', subject: who.subject }]), /matches no trusted identity/);
  assert.throws(check([]), /no keyless identity is trusted/);
  assert.throws(() => verifyBundle({ bundle: new TestSigstore('other').signArtifact(who, artifact), subject: { digest }, trust, identities: [who] }), reasonCode('UNTRUSTED_KEY'));
  assert.equal(identityMatches({ issuer: 'i', subject: 's' }, { issuer: 'i' }), false, 'a certificate without a SAN matches nothing');
  assert.deepEqual(identityProblems({ issuer: 'i', issuerRegExp: 'i', subjectRegExp: '(' }), ['only one of issuer and issuerRegExp may be set', 'subjectRegExp: error parsing regexp: missing closing ): `(`']);
});

test('tampering is SIGNATURE_INVALID; a root that cannot date a certificate refuses keyless bundles', () => {
  const bundle = sigstore.signArtifact(who, artifact) as { messageSignature: { signature: string } };
  const sig = Buffer.from(bundle.messageSignature.signature, 'base64');
  sig[10] ^= 1;
  const tampered = { ...bundle, messageSignature: { ...bundle.messageSignature, signature: sig.toString('base64') } };
  assert.throws(() => verifyBundle({ bundle: tampered, subject: { digest }, trust, identities: [who] }), reasonCode('SIGNATURE_INVALID'));
  assert.throws(() => verifyBundle({ bundle: { mediaType: 'nope' }, subject: { digest }, trust, identities: [who] }), reasonCode('SIGNATURE_INVALID'));
  assert.throws(() => verifyBundle({ bundle, subject: { digest }, trust: keysOnlyTrust(), identities: [who] }), /no transparency log or timestamp authority/);
});

test('trusted roots: JSON, media type, size and validity starts are checked', () => {
  assert.throws(() => loadTrustedRoot('nope'), /not JSON/);
  assert.throws(() => loadTrustedRoot('{"mediaType":"application/json"}'), /want application\/vnd\.dev\.sigstore\.trustedroot/);
  assert.throws(() => loadTrustedRoot(' '.repeat(1024 * 1024 + 1)), /larger than/);
  const root = JSON.parse(sigstore.trustedRootJson);
  delete root.certificateAuthorities[0].validFor.start;
  assert.throws(() => loadTrustedRoot(JSON.stringify(root)), /certificateAuthorities\[0\] has no validFor\.start/);
  assert.deepEqual(trust.options, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 });
});

const MANAGED = join(import.meta.dirname, '../../../shared/conformance/sigstore/test/assets/bundle-verify/managed-key-happy-path');
test('key bundles: every trusted key is tried whatever the hint; none verifying is UNTRUSTED_KEY', { skip: existsSync(MANAGED) ? false : `no ${MANAGED}` }, () => {
  const bundle = JSON.parse(readFileSync(join(MANAGED, 'bundle.sigstore.json'), 'utf8'));
  const root = loadTrustedRoot(readFileSync(join(MANAGED, '../../../../_production-trusted-root/targets/trusted_root.json'), 'utf8'));
  const right = createPublicKey(readFileSync(join(MANAGED, 'key.pub'), 'utf8'));
  const wrong = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const subject = { artifact: readFileSync(join(MANAGED, '../a.txt')) };
  assert.deepEqual(verifyBundle({ bundle, subject, trust: root, keys: [wrong, right] }).signer, { kind: 'key', keyIndex: 1 });
  assert.throws(() => verifyBundle({ bundle, subject, trust: root, keys: [wrong] }), /does not verify with any trusted key/);
});

test('attestation conditions: boolean CEL over the statement; errors and non-bool refused', () => {
  const c = compileAttestationCondition("predicate.builder.id.matches('^https://github\\\\.com/') && size(subject) == 1");
  assert.ok(c.ok);
  assert.deepEqual(conditionHolds(c.program, { predicate: { builder: { id: 'https://github.com/x' } }, subject: [{}] }), { ok: true });
  assert.equal(conditionHolds(c.program, { predicate: { builder: { id: 'https://evil/x' } }, subject: [{}] }).ok, false);
  const eq = compileAttestationCondition('predicate.builder.id == "x"');
  assert.ok(eq.ok);
  const missing = conditionHolds(eq.program, { predicate: {} });
  assert.equal(missing.ok, false);
  assert.ok(missing.error, 'a missing field is an evaluation error, not a pass');
  const n = compileAttestationCondition('1 + 1');
  assert.ok(!n.ok && /must evaluate to bool/.test(n.detail));
});

test('garbage in a bundle certificate is SIGNATURE_INVALID, not an internal error', () => {
  const bundle = structuredClone(sigstore.signArtifact(who, artifact)) as { verificationMaterial: { x509CertificateChain: { certificates: { rawBytes: string }[] } } };
  bundle.verificationMaterial.x509CertificateChain.certificates[0]!.rawBytes = Buffer.from('not a certificate').toString('base64');
  assert.throws(() => verifyBundle({ bundle, subject: { digest }, trust, identities: [who] }), reasonCode('SIGNATURE_INVALID'));
});
