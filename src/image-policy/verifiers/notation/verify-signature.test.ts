// Notation signatures against trust policies, without a registry: each validation of
// trust-store-trust-policy.md enforced or logged as the level says, and the envelope's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinaries } from '../../../../test/helpers/real-parts.ts';
import { path, type FieldError } from '../../../api/validation/field-errors.ts';
import { isImagePolicyError } from '../../errors.ts';
import { makeCert, makePki } from '../../../../test/image-policy/notation-fixtures.ts';
import { notationEnvelope } from './sign.ts';
import { compileNotation, selectTrustPolicy, type NotationTrustPolicy } from './trust-policy.ts';
import { verifyNotationSignature } from './verify-signature.ts';

const acme = makePki('acme');
const other = makePki('other');
const D = `sha256:${'a'.repeat(64)}`;
const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 123 };
const now = new Date();

function policy(over: Record<string, unknown> = {}, stores = [{ name: 'acme', certificates: acme.root.pem }]): NotationTrustPolicy {
  const errs: FieldError[] = [];
  const n = compileNotation({ trustStores: stores, trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme'], ...over }] }, path('notation'), errs);
  assert.deepEqual(errs, []);
  return n.policies[0]!;
}

async function rejects(p: Promise<unknown>, code: string, msg: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => isImagePolicyError(e) && e.code === code && msg.test(e.message));
}

test('a signature by a trusted identity under the trust store verifies; another digest is SUBJECT_MISMATCH', async () => {
  const env = await notationEnvelope(acme.leaf.key, subject, { chain: acme.chain, now });
  assert.deepEqual(await verifyNotationSignature(env, D, policy(), now), { signer: 'C=US, ST=WA, O=acme, CN=builder', logged: [] });
  await rejects(verifyNotationSignature(env, `sha256:${'b'.repeat(64)}`, policy(), now), 'SUBJECT_MISMATCH', /the signature is of sha256:a+, not sha256:b+/);
  // The chain must end in a self-signed root, as notation requires.
  const partial = await notationEnvelope(acme.leaf.key, subject, { chain: [acme.leaf.cert, acme.intermediate.cert], now });
  await rejects(verifyNotationSignature(partial, D, policy(), now), 'SIGNATURE_INVALID', /the last of the chain, is not a self-signed root/);
});

test('authenticity: an untrusted CA or identity is UNTRUSTED_KEY where enforced, logged at the audit level', async () => {
  const foreign = await notationEnvelope(other.leaf.key, subject, { chain: other.chain, now });
  await rejects(verifyNotationSignature(foreign, D, policy({ trustedIdentities: ['*'] }), now), 'UNTRUSTED_KEY', /leads to no certificate of the trust stores ca:acme of trust policy "p"/);
  const wrongId = makePki('acme', { C: 'US', ST: 'WA', O: 'acme', OU: 'interns', CN: 'laptop' });
  const stores = [{ name: 'acme', certificates: wrongId.root.pem }];
  const env = await notationEnvelope(wrongId.leaf.key, subject, { chain: wrongId.chain, now });
  await rejects(verifyNotationSignature(env, D, policy({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme, OU=release'] }, stores), now), 'UNTRUSTED_KEY', /subject "C=US, ST=WA, O=acme, OU=interns, CN=laptop" matches no trusted identity/);
  assert.equal((await verifyNotationSignature(env, D, policy({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme, OU=interns'] }, stores), now)).signer, 'C=US, ST=WA, O=acme, OU=interns, CN=laptop');
  const audited = await verifyNotationSignature(foreign, D, policy({ signatureVerification: { level: 'audit' } }), now);
  assert.equal(audited.logged.length, 2);
  assert.match(audited.logged[0]!, /^authenticity: the certificate chain/);
  assert.match(audited.logged[1]!, /^authenticity: signing certificate subject "C=US, ST=WA, O=other, CN=builder" matches no trusted identity/);
});

test('integrity is enforced at every level: a tampered payload, a changed alg, a non code signing leaf, a malformed envelope', async () => {
  const env = JSON.parse((await notationEnvelope(acme.leaf.key, subject, { chain: acme.chain, now })).toString());
  const tampered = { ...env, payload: Buffer.from(JSON.stringify({ targetArtifact: { ...subject, digest: `sha256:${'c'.repeat(64)}` } })).toString('base64url') };
  const audit = policy({ signatureVerification: { level: 'audit' } });
  await rejects(verifyNotationSignature(Buffer.from(JSON.stringify(tampered)), `sha256:${'c'.repeat(64)}`, audit, now), 'SIGNATURE_INVALID', /does not verify under the signing certificate's key/);
  const ph = JSON.parse(Buffer.from(env.protected, 'base64url').toString());
  const realg = { ...env, protected: Buffer.from(JSON.stringify({ ...ph, alg: 'PS512' })).toString('base64url') };
  await rejects(verifyNotationSignature(Buffer.from(JSON.stringify(realg)), D, audit, now), 'SIGNATURE_INVALID', /alg "PS512" is not the signing key's algorithm PS256/);
  const nocrit = { ...env, protected: Buffer.from(JSON.stringify({ ...ph, crit: undefined })).toString('base64url') };
  await rejects(verifyNotationSignature(Buffer.from(JSON.stringify(nocrit)), D, audit, now), 'SIGNATURE_INVALID', /crit must list io\.cncf\.notary\.signingScheme/);
  await rejects(verifyNotationSignature(Buffer.from(JSON.stringify({ ...env, signatures: [] })), D, audit, now), 'SIGNATURE_INVALID', /unexpected "signatures"/);
  const tls = makeCert({ subject: { C: 'US', ST: 'WA', O: 'acme', CN: 'web' }, issuer: acme.intermediate, extKeyUsage: 'serverAuth' });
  const web = await notationEnvelope(tls.key, subject, { chain: [tls.cert, acme.intermediate.cert, acme.root.cert], now });
  await rejects(verifyNotationSignature(web, D, audit, now), 'SIGNATURE_INVALID', /extendedKeyUsage \(1\.3\.6\.1\.5\.5\.7\.3\.1\) lacks codeSigning/);
});

test('expiry and certificate validity: METADATA_EXPIRED when strict, logged when permissive', async () => {
  const expired = await notationEnvelope(acme.leaf.key, subject, { chain: acme.chain, now: new Date(now.getTime() - 7200_000), expiry: new Date(now.getTime() - 60_000) });
  await rejects(verifyNotationSignature(expired, D, policy(), now), 'METADATA_EXPIRED', /the signature expired at /);
  assert.match((await verifyNotationSignature(expired, D, policy({ signatureVerification: { level: 'permissive' } }), now)).logged[0]!, /^expiry: the signature expired/);
  assert.deepEqual((await verifyNotationSignature(expired, D, policy({ signatureVerification: { level: 'strict', override: { expiry: 'log' } } }), now)).logged.length, 1);

  const old = makeCert({ subject: { C: 'US', ST: 'WA', O: 'acme', CN: 'old' }, issuer: acme.intermediate, notBefore: new Date(now.getTime() - 3 * 86400_000), notAfter: new Date(now.getTime() - 86400_000) });
  const stale = await notationEnvelope(old.key, subject, { chain: [old.cert, acme.intermediate.cert, acme.root.cert], now: new Date(now.getTime() - 2 * 86400_000) });
  await rejects(verifyNotationSignature(stale, D, policy(), now), 'METADATA_EXPIRED', /certificate 0 \(.*CN=old\) is valid from .* not at /);
  assert.match((await verifyNotationSignature(stale, D, policy({ signatureVerification: { level: 'permissive' } }), now)).logged[0]!, /^authenticTimestamp: /);
});

test('revocation: a certificate naming a CRL cannot be checked offline — denied where enforced, accepted with override skip', async () => {
  const leaf = makeCert({ subject: { C: 'US', ST: 'WA', O: 'acme', CN: 'crl' }, issuer: acme.intermediate, crlUrl: 'http://crl.acme.invalid/ca.crl' });
  const env = await notationEnvelope(leaf.key, subject, { chain: [leaf.cert, acme.intermediate.cert, acme.root.cert], now });
  await rejects(verifyNotationSignature(env, D, policy(), now), 'UNTRUSTED_KEY', /revocation status of certificate 0 cannot be determined/);
  assert.deepEqual((await verifyNotationSignature(env, D, policy({ signatureVerification: { level: 'strict', override: { revocation: 'skip' } } }), now)).logged, []);
});

test('trust policies are validated as notation validates them, and picked by repository', () => {
  const compile = (n: Record<string, unknown>) => {
    const errs: FieldError[] = [];
    const c = compileNotation(n, path('notation'), errs);
    return { c, errs: errs.map((e) => `${e.field}: ${e.detail}`) };
  };
  const stores = [{ name: 'acme', certificates: acme.root.pem }];
  const base = { signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['*'] };
  const ok = compile({ trustStores: stores, trustPolicies: [{ name: 'team', registryScopes: ['reg.example/team/app'], ...base }, { name: 'rest', registryScopes: ['*'], ...base }, { name: 'legacy', registryScopes: ['reg.example/legacy'], signatureVerification: { level: 'skip' } }] });
  assert.deepEqual(ok.errs, []);
  assert.equal(selectTrustPolicy(ok.c, 'reg.example/team/app')!.name, 'team');
  assert.equal(selectTrustPolicy(ok.c, 'reg.example/team/other')!.name, 'rest');
  assert.equal(selectTrustPolicy(ok.c, 'reg.example/legacy')!.level, 'skip');
  assert.equal(selectTrustPolicy(compile({ trustStores: stores, trustPolicies: [{ name: 'team', registryScopes: ['reg.example/team/app'], ...base }] }).c, 'reg.example/x'), undefined);

  const bad = compile({
    trustStores: [...stores, { name: 'acme', certificates: acme.root.pem }, { name: 'leafy', certificates: acme.leaf.pem }],
    trustPolicies: [
      { name: 'a', registryScopes: ['*', 'reg.example/x'], ...base },
      { name: 'a', registryScopes: ['reg.example/*'], signatureVerification: { level: 'strict', override: { integrity: 'log' } }, trustStores: ['ca:nope'], trustedIdentities: ['x509.subject: C=US, O=acme', 'x509.subject: C=US, ST=WA, O=acme', 'x509.subject: C=US, ST=WA, O=acme, CN=b'] },
      { name: 'c', registryScopes: ['*'], signatureVerification: { level: 'skip' } },
      { name: 'd', registryScopes: ['reg.example/y'], signatureVerification: { level: 'lenient' } },
    ],
  });
  assert.deepEqual(bad.errs, [
    'notation.trustStores[1].name: ',
    'notation.trustStores[2].certificates: not usable trust store certificates: certificate 0 is neither a CA nor a self-signed certificate',
    'notation.trustPolicies[0].registryScopes: the global scope "*" must be the only registry scope of its policy',
    'notation.trustPolicies[1].registryScopes[0]: a registry scope is a fully qualified repository (registry/path, no "*") or "*"',
    'notation.trustPolicies[1].signatureVerification.override[integrity]: supported values: "authenticity", "authenticTimestamp", "expiry", "revocation"',
    'notation.trustPolicies[1].trustStores[0]: names no trust store of this authority (TYPE:NAME, TYPE ca or signingAuthority; tsa stores are not supported)',
    'notation.trustPolicies[1].trustedIdentities[0]: trusted identity "x509.subject: C=US, O=acme": the distinguished name must contain C, ST and O (missing ST)',
    'notation.trustPolicies[1].trustedIdentities[2]: overlaps another trusted identity of this policy',
    'notation.trustPolicies[1].name: ',
    'notation.trustPolicies[2].registryScopes: the skip level cannot be used with the global scope "*"',
    'notation.trustPolicies[2].registryScopes: only one trust policy may use the global scope "*"',
    'notation.trustPolicies[3].signatureVerification.level: supported values: "strict", "permissive", "audit", "skip"',
  ]);
});

test('an ECDSA P-256 code signing leaf (made by openssl) signs ES256 and verifies; the alg must be ES256', { skip: requireBinaries('openssl', 'openssl') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'notation-ec-'));
  try {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/C=US/O=acme/CN=ec root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/C=US/ST=WA/O=acme/CN=ec signer');
    writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '1', '-extfile', 'ext.cnf');
    const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const chain = [new X509Certificate(readFileSync(join(dir, 'leaf.pem'))), new X509Certificate(ca)];
    // openssl dates the certificates from this second: verify a moment later than the file's `now`.
    const at = new Date(Date.now() + 1000);
    const env = await notationEnvelope(createPrivateKey(readFileSync(join(dir, 'leaf.key'))), subject, { chain, now: at });
    assert.equal(JSON.parse(Buffer.from(JSON.parse(env.toString()).protected, 'base64url').toString()).alg, 'ES256');
    const p = policy({}, [{ name: 'acme', certificates: ca }]);
    assert.equal((await verifyNotationSignature(env, D, p, at)).signer, 'C=US, ST=WA, O=acme, CN=ec signer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
