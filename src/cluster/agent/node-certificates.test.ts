/** The node's ECDSA P-256 keys and requests, judged and certified by the controller side's own code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { createCA } from '../../pki/ca.ts';
import { parseCsr, checkCsrSignature } from '../../api/validation/certificates/pkcs10.ts';
import { kubeletClientError, kubeletServingError, parseRequest } from '../controllers/certificates/csr-request.ts';
import { newAuthority } from '../controllers/certificates/authority.ts';
import { CLIENT_USAGES, SERVING_USAGES, certRequest, nodeCertRequest } from './node-certificates.ts';
import { digestedName } from './certificate-request.ts';
import forge from 'node-forge';
import { ipToBytes } from '../../pki/ip-bytes.ts';

const pemOf = (request: string) => Buffer.from(request, 'base64').toString('utf8');

test('a serving request: P-256 key as SEC1 PEM, ecdsa-with-SHA256 self-signature, subject and SANs as the kubelet asks', () => {
  const req = nodeCertRequest('box', { dnsNames: ['box', 'box.local'], ipAddresses: ['10.1.2.3', 'fd00::1'] });
  assert.match(req.keyPem, /^-----BEGIN EC PRIVATE KEY-----\n/);
  const key = createPrivateKey(req.keyPem);
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const parsed = parseCsr(pemOf(req.request));
  assert.equal(parsed.signatureAlgorithm, '1.2.840.10045.4.3.2');
  checkCsrSignature(parsed);
  const r = parseRequest(req.request);
  assert.equal(r.commonName, 'system:node:box');
  assert.deepEqual(r.organizations, ['system:nodes']);
  assert.deepEqual(r.dnsNames, ['box', 'box.local']);
  assert.deepEqual(r.ipAddresses, ['10.1.2.3', 'fd00:0:0:0:0:0:0:1']);
  assert.equal(kubeletServingError(r, SERVING_USAGES), undefined);
  assert.deepEqual([...SERVING_USAGES], ['digital signature', 'server auth'], 'no key encipherment for an ECDSA key (DefaultKubeletServingGetUsages)');
});

test('a client request is valid for the kubelet client signer and is certified for its own key', () => {
  const req = nodeCertRequest('box');
  const r = parseRequest(req.request);
  assert.equal(kubeletClientError(r, CLIENT_USAGES), undefined);
  assert.deepEqual([...CLIENT_USAGES], ['digital signature', 'client auth']);
  const ca = createCA({ commonName: 'ca', now: new Date(), validityDays: 1 });
  const cert = new X509Certificate(newAuthority(ca).sign(r, CLIENT_USAGES, 3600_000, Date.now()));
  assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:box');
  assert.ok(cert.checkPrivateKey(createPrivateKey(req.keyPem)), 'the certificate carries the requested public key');
  assert.ok(cert.verify(createPublicKey(ca.certPem)));
});

test('a request whose signature does not match its key is refused', () => {
  const req = nodeCertRequest('box');
  const der = Buffer.from(pemOf(req.request).replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  der[der.length - 5] ^= 0x01;
  const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  assert.throws(() => parseRequest(Buffer.from(bad).toString('base64')), /ECDSA verification failure|malformed/);
});

test('the same key signs anew (ECDSA is randomized) but keeps its bootstrap name, which follows key, subject and usages', () => {
  const a = nodeCertRequest('box');
  const b = nodeCertRequest('box', undefined, a.keyPem);
  assert.notEqual(a.request, b.request);
  assert.deepEqual(b.publicKeyDer, a.publicKeyDer);
  const name = digestedName(a.publicKeyDer, a.subject, CLIENT_USAGES);
  assert.match(name, /^node-csr-[A-Za-z0-9_-]{43}$/);
  assert.equal(digestedName(b.publicKeyDer, b.subject, CLIENT_USAGES), name);
  assert.notEqual(digestedName(a.publicKeyDer, a.subject, SERVING_USAGES), name);
  assert.notEqual(digestedName(nodeCertRequest('box').publicKeyDer, a.subject, CLIENT_USAGES), name);
  assert.notEqual(digestedName(a.publicKeyDer, { ...a.subject, commonName: 'system:node:bo' }, CLIENT_USAGES), name);
});

test('a leftover RSA key (an earlier version\'s interrupted bootstrap) is replaced by a P-256 one', async () => {
  const { generateRsaKeyPair } = await import('../../pki/key-pair.ts');
  const req = nodeCertRequest('box', undefined, generateRsaKeyPair().keyPem);
  assert.equal(createPrivateKey(req.keyPem).asymmetricKeyType, 'ec');
  checkCsrSignature(parseCsr(pemOf(req.request)));
});

test('the request carries the same certificationRequestInfo bytes node-forge\'s ASN.1 writer made (the writer the agent no longer loads)', () => {
  const { asn1 } = forge;
  const U = asn1.Class.UNIVERSAL;
  const T = asn1.Type;
  const seq = (v: forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, v);
  const set = (v: forge.asn1.Asn1[]) => asn1.create(U, T.SET, true, v);
  const oid = (o: string) => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
  const utf8 = (s: string) => asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(s));
  for (const [subject, sans] of [
    [{ commonName: 'system:node:box', organizations: ['system:nodes'] }, { dnsNames: ['box', 'box.local'], ipAddresses: ['10.1.2.3', 'fd00::1'] }],
    [{ commonName: 'system:node:box', organizations: ['system:nodes'] }, undefined],
    [{ commonName: 'system:node-network:a-node-with-a-long-name-'.padEnd(140, 'x'), organizations: ['system:node-networks', 'other'] }, { dnsNames: Array.from({ length: 12 }, (_, i) => `n${i}.example.internal`), ipAddresses: [] }],
  ] as const) {
    const req = certRequest({ commonName: subject.commonName, organizations: [...subject.organizations] }, sans && { dnsNames: [...sans.dnsNames], ipAddresses: [...sans.ipAddresses] });
    const der = Buffer.from(pemOf(req.request).replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const csr = asn1.fromDer(der.toString('binary'), { decodeBitStrings: false } as never);
    const info = Buffer.from(asn1.toDer((csr.value as forge.asn1.Asn1[])[0]!).getBytes(), 'binary');
    const rdn = (type: string, value: string) => set([seq([oid(type), utf8(value)])]);
    const attrs: forge.asn1.Asn1[] = [];
    if (sans && (sans.dnsNames.length || sans.ipAddresses.length)) {
      const ctx = asn1.Class.CONTEXT_SPECIFIC;
      const names = seq([...sans.dnsNames.map((n) => asn1.create(ctx, 2, false, n)), ...sans.ipAddresses.map((ip) => asn1.create(ctx, 7, false, ipToBytes(ip).toString('binary')))]);
      attrs.push(seq([oid('1.2.840.113549.1.9.14'), set([seq([seq([oid('2.5.29.17'), asn1.create(U, T.OCTETSTRING, false, asn1.toDer(names).getBytes())])])])]));
    }
    const expected = seq([
      asn1.create(U, T.INTEGER, false, '\x00'),
      seq([...subject.organizations.map((o) => rdn('2.5.4.10', o)), rdn('2.5.4.3', subject.commonName)]),
      asn1.fromDer(req.publicKeyDer.toString('binary'), { decodeBitStrings: false } as never),
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, attrs),
    ]);
    assert.deepEqual(info, Buffer.from(asn1.toDer(expected).getBytes(), 'binary'));
    assert.equal(pemOf(req.request), forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: der.toString('binary') }, { maxline: 64 }), 'PEM text as forge wrote it');
    checkCsrSignature(parseCsr(pemOf(req.request)));
  }
});
