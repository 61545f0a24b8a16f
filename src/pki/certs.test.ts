import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import forge from 'node-forge';
import { createCA, type CertKeyPem } from './ca.ts';
import { issueCert, issueCertAsync, type IssueCertOptions } from './certs.ts';
import { PkiError } from './errors.ts';
import { settleAcrossMacrotask } from '../../test/helpers/settle-across-macrotask.ts';

const now = new Date();
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const ca = createCA({ commonName: 'test-ca', now, validityDays: 30 });
const otherCa = createCA({ commonName: 'other-ca', now, validityDays: 30 });
const caX509 = new X509Certificate(ca.certPem);

test('a client cert verifies against its CA and carries CN and O as asked', () => {
  const client = issueCert(ca, { commonName: 'alice', organizations: ['system:masters', 'devs'], usage: 'client', now, validityDays: 5 });
  const x = new X509Certificate(client.certPem);
  assert.ok(x.checkIssued(caX509));
  assert.ok(x.verify(caX509.publicKey));
  assert.ok(!x.verify(new X509Certificate(otherCa.certPem).publicKey));
  const subject = x.subject.split('\n');
  assert.ok(subject.includes('CN=alice'));
  assert.deepEqual(subject.filter((l) => l.startsWith('O=')), ['O=system:masters', 'O=devs']);
  assert.deepEqual(x.keyUsage, [CLIENT_AUTH]);
  assert.equal(x.ca, false);
  assert.equal(x.subjectAltName, undefined);
});

test('a server cert has the default and requested SANs and serverAuth', () => {
  const server = issueCert(ca, {
    commonName: 'kube-apiserver', usage: 'server', dnsNames: ['kubernetes.default.svc', 'LOCALHOST'], ipAddresses: ['10.96.0.1', '0:0:0:0:0:0:0:1'], now, validityDays: 5,
  });
  const x = new X509Certificate(server.certPem);
  assert.ok(x.verify(caX509.publicKey));
  assert.deepEqual(x.keyUsage, [SERVER_AUTH]);
  assert.equal(x.subjectAltName, 'DNS:localhost, DNS:kubernetes.default.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.96.0.1');
  assert.equal(x.checkIP('::1'), '::1');
  assert.equal(x.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
  assert.equal(x.checkHost('example.com'), undefined);
});

test('issued certs name their issuer by key identifier and get distinct serials', () => {
  const a = forge.pki.certificateFromPem(issueCert(ca, { commonName: 'a', usage: 'client', now, validityDays: 1 }).certPem);
  const b = forge.pki.certificateFromPem(issueCert(ca, { commonName: 'b', usage: 'client', now, validityDays: 1 }).certPem);
  const caSki = forge.pki.certificateFromPem(ca.certPem).generateSubjectKeyIdentifier().toHex();
  const aki = a.getExtension('authorityKeyIdentifier') as { value: string };
  // The extension value is SEQUENCE { [0] keyIdentifier }; the key id is its last 20 bytes.
  assert.equal(forge.util.bytesToHex(aki.value).slice(-40), caSki);
  assert.notEqual(a.serialNumber, b.serialNumber);
});

test('bad options are refused by name', () => {
  const refuses = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof PkiError && e.code === 'InvalidOptions');
  refuses(() => issueCert(ca, { commonName: 'x', usage: 'server', ipAddresses: ['1.2.3.999'], now, validityDays: 1 }));
  refuses(() => issueCert(ca, { commonName: 'x', usage: 'server', dnsNames: ['bad name'], now, validityDays: 1 }));
  refuses(() => issueCert(ca, { commonName: 'x', usage: 'client', dnsNames: ['a.example'], now, validityDays: 1 }));
  refuses(() => issueCert(ca, { commonName: '', usage: 'client', now, validityDays: 1 }));
});

test('a CA key that does not belong to the CA cert is refused', () => {
  const mixed: CertKeyPem = { certPem: ca.certPem, keyPem: otherCa.keyPem };
  assert.throws(() => issueCert(mixed, { commonName: 'x', usage: 'client', now, validityDays: 1 }), (e: unknown) => e instanceof PkiError && e.code === 'KeyMismatch');
});

test('a leaf cert cannot act as a CA', () => {
  const leaf = issueCert(ca, { commonName: 'x', usage: 'client', now, validityDays: 1 });
  assert.throws(() => issueCert(leaf, { commonName: 'y', usage: 'client', now, validityDays: 1 }), PkiError);
});

test('issueCertAsync lets the event loop run while the key is generated, and issues what issueCert does', async () => {
  const { value: client, yielded } = await settleAcrossMacrotask(() => issueCertAsync(ca, { commonName: 'alice', organizations: ['system:masters', 'devs'], usage: 'client', now, validityDays: 5 }));
  // Generated on this thread, the key would be ready before the loop moved on.
  assert.ok(yielded, 'the event loop moved on while the key was generated');
  const x = new X509Certificate(client.certPem);
  assert.ok(x.verify(caX509.publicKey));
  assert.ok(x.checkPrivateKey(createPrivateKey(client.keyPem)));
  assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.ok(client.keyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----'), 'PKCS#1, as kubeadm writes');
  const sync = new X509Certificate(issueCert(ca, { commonName: 'alice', organizations: ['system:masters', 'devs'], usage: 'client', now, validityDays: 5 }).certPem);
  for (const field of ['subject', 'issuer', 'validFrom', 'validTo', 'keyUsage', 'ca', 'subjectAltName'] as const) assert.deepEqual(x[field], sync[field], field);
});

test('issueCertAsync refuses bad options and a mismatched CA key as issueCert does', async () => {
  const refuses = (code: string) => (e: unknown) => e instanceof PkiError && e.code === code;
  await assert.rejects(issueCertAsync(ca, { commonName: '', usage: 'client', now, validityDays: 1 }), refuses('InvalidOptions'));
  await assert.rejects(issueCertAsync({ certPem: ca.certPem, keyPem: otherCa.keyPem }, { commonName: 'x', usage: 'client', now, validityDays: 1 }), refuses('KeyMismatch'));
  await assert.rejects(issueCertAsync(ca, { commonName: 'x', usage: 'client', now, validityDays: 0 }), refuses('InvalidOptions'));
});

test('an ECDSA P-256 client cert: the same subject, usages and validity, its own key, digitalSignature only', () => {
  const opts: IssueCertOptions = { commonName: 'system:serviceaccount:kube-system:job-controller', organizations: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'], usage: 'client', now, validityDays: 5 };
  const ec = issueCert(ca, { ...opts, keyAlgorithm: 'ECDSA-P256' });
  const x = new X509Certificate(ec.certPem);
  assert.ok(x.verify(caX509.publicKey));
  assert.ok(x.checkIssued(caX509));
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(x.checkPrivateKey(createPrivateKey(ec.keyPem)), 'the certificate holds the new key, not the stand-in');
  assert.ok(ec.keyPem.startsWith('-----BEGIN EC PRIVATE KEY-----'), 'SEC1, as the kubelet writes its key');
  const rsa = new X509Certificate(issueCert(ca, opts).certPem);
  for (const field of ['subject', 'issuer', 'validFrom', 'validTo', 'keyUsage', 'ca', 'subjectAltName'] as const) assert.deepEqual(x[field], rsa[field], field);

  const parsed = forge.asn1.fromDer(Buffer.from(x.raw).toString('binary'), { decodeBitStrings: false } as never);
  const extensions = new Map<string, { critical: boolean; value: string }>();
  const tbs = (parsed.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
  for (const ext of (tbs[7]!.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[]) {
    const parts = ext.value as forge.asn1.Asn1[];
    extensions.set(forge.asn1.derToOid(parts[0]!.value as string), { critical: parts.length === 3, value: parts[parts.length - 1]!.value as string });
  }
  // keyUsage: critical, digitalSignature alone (BIT STRING 07 80); keyEncipherment is RSA's.
  assert.deepEqual(extensions.get('2.5.29.15'), { critical: true, value: '\x03\x02\x07\x80' });
  // subjectKeyIdentifier: SHA-1 of the public key bits (RFC 5280 method 1), as for RSA keys.
  const point = x.publicKey.export({ type: 'spki', format: 'der' }).subarray(-65);
  assert.equal(extensions.get('2.5.29.14')?.value, '\x04\x14' + createHash('sha1').update(point).digest().toString('binary'));
  assert.deepEqual([...extensions.keys()], ['2.5.29.19', '2.5.29.15', '2.5.29.37', '2.5.29.14', '2.5.29.35']);
});

test('an unknown key algorithm is refused', () => {
  assert.throws(() => issueCert(ca, { commonName: 'x', usage: 'client', now, validityDays: 1, keyAlgorithm: 'DSA' as never }), (e: unknown) => e instanceof PkiError && e.code === 'InvalidOptions');
});

/** One real mutual-TLS handshake on 127.0.0.1; reports what the server thought of the client. */
async function handshake(server: CertKeyPem, client: CertKeyPem): Promise<{ authorized: boolean; error: string | null }> {
  // rejectUnauthorized false so the server reports on a bad client instead of dropping it.
  const srv = createServer({ cert: server.certPem, key: server.keyPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: false });
  const seen = new Promise<{ authorized: boolean; error: string | null }>((resolve) => {
    srv.once('secureConnection', (socket: TLSSocket) => {
      resolve({ authorized: socket.authorized, error: socket.authorizationError ? String(socket.authorizationError) : null });
      socket.end();
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    // The client checks the server too: against our CA and the 127.0.0.1 IP SAN.
    const sock = connect({ host: '127.0.0.1', port, ca: [ca.certPem], cert: client.certPem, key: client.keyPem });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', resolve);
      sock.once('error', reject);
    });
    const result = await seen;
    sock.destroy();
    return result;
  } finally {
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

test('TLS: a server cert from the CA accepts a client cert from the same CA', { timeout: 20_000 }, async () => {
  const server = issueCert(ca, { commonName: 'kube-apiserver', usage: 'server', now, validityDays: 1 });
  const client = issueCert(ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client', now, validityDays: 1 });
  assert.deepEqual(await handshake(server, client), { authorized: true, error: null });
});

test('TLS: an ECDSA P-256 client cert from the CA is accepted', { timeout: 20_000 }, async () => {
  const server = issueCert(ca, { commonName: 'kube-apiserver', usage: 'server', now, validityDays: 1 });
  const { value: client, yielded } = await settleAcrossMacrotask(() => issueCertAsync(ca, { commonName: 'kube-scheduler', usage: 'client', now, validityDays: 1, keyAlgorithm: 'ECDSA-P256' }));
  assert.ok(yielded, 'an ECDSA key is generated off this thread too');
  assert.deepEqual(await handshake(server, client), { authorized: true, error: null });
});

test('TLS: a client cert from another CA is reported unauthorized', { timeout: 20_000 }, async () => {
  const server = issueCert(ca, { commonName: 'kube-apiserver', usage: 'server', now, validityDays: 1 });
  const stranger = issueCert(otherCa, { commonName: 'admin', organizations: ['system:masters'], usage: 'client', now, validityDays: 1 });
  const result = await handshake(server, stranger);
  assert.equal(result.authorized, false);
  assert.ok(result.error, 'an authorization error is given');
});
