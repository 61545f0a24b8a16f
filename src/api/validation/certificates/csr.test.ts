import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { generateRsaKeyPair } from '../../../pki/key-pair.ts';
import { errorString } from '../field-errors.ts';
import { validateCertificateSigningRequest, validateCertificateSigningRequestUpdate } from './csr.ts';
import { checkCsrSignature, parseCsr } from './pkcs10.ts';

function rsaCsr(orgs: string[]): string {
  const { privateKey, publicKey } = generateRsaKeyPair();
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = publicKey;
  csr.setSubject([{ name: 'commonName', value: 'me' }, ...orgs.map((value) => ({ name: 'organizationName', value }))]);
  csr.sign(privateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

function opensslCsr(keyType: 'ec' | 'ed25519', subj: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'csr-'));
  try {
    const key = join(dir, 'k.pem');
    const args = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'ed25519'];
    execFileSync('openssl', ['req', '-new', ...args, '-nodes', '-keyout', key, '-subj', subj, '-out', join(dir, 'r.pem')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'r.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const csrObj = (pem: string, status?: object) => ({
  metadata: { name: 'c', resourceVersion: '1' },
  spec: { request: b64(pem), signerName: 'example.com/signer', usages: ['client auth'] },
  ...(status ? { status } : {}),
});
const msgs = (errs: ReturnType<typeof validateCertificateSigningRequest>) => errs.map(errorString);

test('PKCS#10: RSA, ECDSA and Ed25519 requests parse and verify; organizations are read', () => {
  const rsa = parseCsr(rsaCsr(['system:masters', 'dev']));
  assert.deepEqual(rsa.organizations, ['system:masters', 'dev']);
  checkCsrSignature(rsa);
  const ec = parseCsr(opensslCsr('ec', '/CN=node/O=system:nodes'));
  assert.deepEqual(ec.organizations, ['system:nodes']);
  checkCsrSignature(ec);
  checkCsrSignature(parseCsr(opensslCsr('ed25519', '/CN=x')));
});

test('a request whose signature does not match its key is invalid', () => {
  const pem = rsaCsr([]);
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  der[der.length - 1]! ^= 1; // flip a bit of the signature
  const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  assert.deepEqual(msgs(validateCertificateSigningRequest(csrObj(bad) as never)), ['spec.request: Invalid value: []byte{...}: crypto/rsa: verification error']);
  assert.deepEqual(msgs(validateCertificateSigningRequest(csrObj(rsaCsr([])) as never)), []);
});

test('conditions: Approved/Denied/Failed only True, mutually exclusive, no duplicates; legacy signer refused', () => {
  const pem = rsaCsr([]);
  const obj = csrObj(pem, { conditions: [{ type: 'Approved', status: 'False' }, { type: 'Denied', status: 'True' }, { type: 'Denied', status: 'True' }] });
  assert.deepEqual(msgs(validateCertificateSigningRequest(obj as never)), [
    'status.conditions[0].status: Unsupported value: "False": supported values: "True"',
    'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
    'status.conditions[2].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
    'status.conditions[2].type: Duplicate value: "Denied"',
  ]);
  const legacy = { ...csrObj(pem), spec: { ...csrObj(pem).spec, signerName: 'kubernetes.io/legacy-unknown' } };
  assert.deepEqual(msgs(validateCertificateSigningRequest(legacy as never)), ['spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version']);
});

test('updates: approval only through /approval, the certificate only through /status and only once', () => {
  const pem = rsaCsr([]);
  const old = csrObj(pem);
  const approved = csrObj(pem, { conditions: [{ type: 'Approved', status: 'True', reason: 'r' }] });
  assert.deepEqual(msgs(validateCertificateSigningRequestUpdate(approved as never, old as never, 'status')), ['status.conditions: Forbidden: updates may not add a condition of type "Approved"']);
  assert.deepEqual(msgs(validateCertificateSigningRequestUpdate(approved as never, old as never, 'approval')), []);
  assert.deepEqual(msgs(validateCertificateSigningRequestUpdate(old as never, approved as never, 'approval')), ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);

  const signed = csrObj(pem, { certificate: b64(makeCert()) });
  assert.deepEqual(msgs(validateCertificateSigningRequestUpdate(signed as never, old as never, 'approval')), ['status.certificate: Forbidden: updates may not set certificate content']);
  assert.deepEqual(msgs(validateCertificateSigningRequestUpdate(signed as never, old as never, 'status')), []);
  const resigned = csrObj(pem, { certificate: b64(makeCert()) });
  assert.deepEqual(msgs(validateCertificateSigningRequestUpdate(resigned as never, signed as never, 'status')), ['status.certificate: Forbidden: updates may not modify existing certificate content']);
  const junk = csrObj(pem, { certificate: b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') });
  assert.deepEqual(msgs(validateCertificateSigningRequestUpdate(junk as never, old as never, 'status')), [
    'status.certificate: Invalid value: "<certificate data>": only CERTIFICATE PEM blocks are allowed, found "PRIVATE KEY"',
  ]);
});

function makeCert(): string {
  const { privateKey, publicKey } = generateRsaKeyPair();
  const c = forge.pki.createCertificate();
  c.publicKey = publicKey;
  c.serialNumber = '01';
  c.validity.notBefore = new Date(0);
  c.validity.notAfter = new Date(86_400_000);
  c.setSubject([{ name: 'commonName', value: 'x' }]);
  c.setIssuer([{ name: 'commonName', value: 'x' }]);
  c.sign(privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(c);
}

test('signerName: a domain of DNS labels with at least two segments, a path of subdomains', () => {
  const pem = rsaCsr([]);
  const withSigner = (signerName: string) => ({ ...csrObj(pem), spec: { ...csrObj(pem).spec, signerName } });
  const cases: [string, string[]][] = [
    ['example.com/foo', []],
    ['example.com/ns.name', []],
    ['example/foo', ['spec.signerName: Invalid value: "example": should be a domain with at least two segments separated by dots']],
    ['example.com', ["spec.signerName: Invalid value: \"example.com\": must be a fully qualified domain and path of the form 'example.com/signer-name'"]],
    ['Example.com/foo', ['spec.signerName: Invalid value: "Example.com": validating label "Example": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')']],
    ['', ['spec.signerName: Required value']],
  ];
  for (const [signer, want] of cases) assert.deepEqual(msgs(validateCertificateSigningRequest(withSigner(signer) as never)), want, signer);
});
