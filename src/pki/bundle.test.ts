import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA } from './ca.ts';
import { issueCert } from './certs.ts';
import { ensureClusterPki, pkiPaths } from './bundle.ts';
import { PkiError } from './errors.ts';

const now = new Date('2030-06-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;

function tempDataDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const mode = (path: string) => statSync(path).mode & 0o777;
const pkiError = (code: string, pathPart: string) => (e: unknown) =>
  e instanceof PkiError && e.code === code && e.message.includes(pathPart) && (e.path ?? '').includes(pathPart);

test('first start creates the CA, apiserver and admin pairs with tight permissions', (t) => {
  const dataDir = tempDataDir(t);
  const logged: string[] = [];
  const pki = ensureClusterPki(dataDir, { now, log: { info: (m) => logged.push(m) }, serverIpAddresses: ['10.96.0.1'] });
  const paths = pkiPaths(dataDir);
  assert.deepEqual(pki.paths, paths);
  assert.deepEqual(readdirSync(paths.dir).sort(), ['admin.crt', 'admin.key', 'apiserver.crt', 'apiserver.key', 'ca.crt', 'ca.key']);
  assert.equal(mode(paths.dir), 0o700);
  for (const key of [paths.caKey, paths.serverKey, paths.adminKey]) assert.equal(mode(key), 0o600, key);
  assert.equal(logged.length, 3);

  const ca = new X509Certificate(pki.caCertPem);
  const admin = new X509Certificate(pki.adminCertPem);
  assert.ok(admin.verify(ca.publicKey));
  assert.deepEqual(admin.subject.split('\n').sort(), ['CN=admin', 'O=system:masters']);
  const server = new X509Certificate(pki.serverCertPem);
  assert.ok(server.verify(ca.publicKey));
  assert.equal(server.checkHost('kubernetes.default.svc.cluster.local'), 'kubernetes.default.svc.cluster.local');
  assert.equal(server.checkIP('10.96.0.1'), '10.96.0.1');
  assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
});

test('a second start reuses every file', (t) => {
  const dataDir = tempDataDir(t);
  const first = ensureClusterPki(dataDir, { now });
  const logged: string[] = [];
  const second = ensureClusterPki(dataDir, { now: new Date(now.getTime() + DAY), log: { info: (m) => logged.push(m) } });
  assert.equal(fingerprint(second.caCertPem), fingerprint(first.caCertPem));
  assert.equal(second.caKeyPem, first.caKeyPem);
  assert.equal(second.serverCertPem, first.serverCertPem);
  assert.equal(second.adminKeyPem, first.adminKeyPem);
  assert.deepEqual(logged, []);
});

test('a missing leaf is issued from the existing CA, leaving the others alone', (t) => {
  const dataDir = tempDataDir(t);
  const first = ensureClusterPki(dataDir, { now });
  rmSync(first.paths.adminCert);
  const second = ensureClusterPki(dataDir, { now });
  assert.equal(fingerprint(second.caCertPem), fingerprint(first.caCertPem));
  assert.equal(second.serverCertPem, first.serverCertPem);
  assert.notEqual(second.adminKeyPem, first.adminKeyPem, 'the orphaned key is replaced with the new cert');
  assert.ok(new X509Certificate(second.adminCertPem).verify(new X509Certificate(second.caCertPem).publicKey));
});

test('an expired leaf is reissued; an expired CA is an error', (t) => {
  const dataDir = tempDataDir(t);
  const first = ensureClusterPki(dataDir, { now });
  const later = new Date(now.getTime() + 400 * DAY);
  const second = ensureClusterPki(dataDir, { now: later });
  assert.equal(fingerprint(second.caCertPem), fingerprint(first.caCertPem));
  assert.notEqual(second.serverCertPem, first.serverCertPem);
  assert.ok(new X509Certificate(second.serverCertPem).validToDate > later);
  assert.throws(() => ensureClusterPki(dataDir, { now: new Date(now.getTime() + 4000 * DAY) }), pkiError('CaExpired', 'ca.crt'));
});

test('a corrupt PEM fails with an error naming the file', (t) => {
  for (const name of ['caCert', 'caKey', 'serverCert', 'adminKey'] as const) {
    const dataDir = tempDataDir(t);
    const target = ensureClusterPki(dataDir, { now }).paths[name];
    writeFileSync(target, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    assert.throws(() => ensureClusterPki(dataDir, { now }), pkiError('CorruptPem', target), target);
  }
});

test('a key that belongs to another cert is refused, naming the key file', (t) => {
  const dataDir = tempDataDir(t);
  const { paths, serverKeyPem } = ensureClusterPki(dataDir, { now });
  writeFileSync(paths.adminKey, serverKeyPem);
  assert.throws(() => ensureClusterPki(dataDir, { now }), pkiError('KeyMismatch', paths.adminKey));
});

test('a leaf from a different CA is refused rather than served', (t) => {
  const dataDir = tempDataDir(t);
  const { paths } = ensureClusterPki(dataDir, { now });
  const stranger = issueCert(createCA({ commonName: 'other', now, validityDays: 10 }), { commonName: 'x', usage: 'server', now, validityDays: 10 });
  writeFileSync(paths.serverCert, stranger.certPem);
  writeFileSync(paths.serverKey, stranger.keyPem);
  assert.throws(() => ensureClusterPki(dataDir, { now }), pkiError('NotSignedByCa', paths.serverCert));
});

test('a lost CA is never silently replaced while certificates depend on it', (t) => {
  const dataDir = tempDataDir(t);
  const { paths } = ensureClusterPki(dataDir, { now });
  rmSync(paths.caKey);
  assert.throws(() => ensureClusterPki(dataDir, { now }), pkiError('MissingCa', paths.caKey));
  rmSync(paths.caCert);
  assert.throws(() => ensureClusterPki(dataDir, { now }), pkiError('MissingCa', paths.caCert));
});

test('a pki directory with loose permissions is tightened', (t) => {
  const dataDir = tempDataDir(t);
  const { paths } = ensureClusterPki(dataDir, { now });
  chmodSync(paths.dir, 0o755);
  ensureClusterPki(dataDir, { now });
  assert.equal(mode(paths.dir), 0o700);
});
