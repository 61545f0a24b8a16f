import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import { createCA, createCAAsync } from './ca.ts';
import { settleAcrossMacrotask } from '../../test/helpers/settle-across-macrotask.ts';
import { BACKDATE_MS } from './new-certificate.ts';
import { PkiError } from './errors.ts';

const now = new Date('2030-01-02T03:04:05Z');

test('createCA makes a self-signed CA with the requested name and lifetime', () => {
  const ca = createCA({ commonName: 'test-ca', now, validityDays: 10 });
  const x = new X509Certificate(ca.certPem);
  assert.equal(x.subject, 'CN=test-ca');
  assert.equal(x.issuer, 'CN=test-ca');
  assert.equal(x.ca, true);
  assert.ok(x.verify(x.publicKey), 'self-signed');
  assert.ok(x.checkPrivateKey(createPrivateKey(ca.keyPem)));
  assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(x.validFromDate.getTime(), now.getTime() - BACKDATE_MS);
  assert.equal(x.validToDate.getTime(), now.getTime() + 10 * 24 * 3600 * 1000);
});

test('createCA sets critical basicConstraints and keyUsage, and a subject key identifier', () => {
  const ca = createCA({ commonName: 'test-ca', now, validityDays: 10 });
  const cert = forge.pki.certificateFromPem(ca.certPem);
  const basic = cert.getExtension('basicConstraints') as { cA: boolean; critical: boolean };
  assert.equal(basic.cA, true);
  assert.equal(basic.critical, true);
  const usage = cert.getExtension('keyUsage') as Record<string, boolean>;
  assert.equal(usage.critical, true);
  assert.equal(usage.keyCertSign, true);
  assert.equal(usage.cRLSign, true);
  assert.equal(usage.digitalSignature, true);
  assert.ok(cert.getExtension('subjectKeyIdentifier'));
});

test('serial numbers are positive and minimally encoded whatever the random source says', () => {
  const high = createCA({ commonName: 'a', now, validityDays: 1, random: (n) => Buffer.alloc(n, 0xff) });
  assert.equal(new X509Certificate(high.certPem).serialNumber, '7F' + 'FF'.repeat(15));
  const zero = createCA({ commonName: 'b', now, validityDays: 1, random: (n) => Buffer.alloc(n, 0) });
  assert.equal(new X509Certificate(zero.certPem).serialNumber, '01' + '00'.repeat(15));
});

test('createCA refuses a non-positive lifetime', () => {
  assert.throws(() => createCA({ commonName: 'x', now, validityDays: 0 }), PkiError);
  assert.throws(() => createCA({ commonName: 'x', now, validityDays: 1.5 }), PkiError);
});

test('createCAAsync lets the event loop run while the key is generated, and makes the same CA', async () => {
  const { value: ca, yielded } = await settleAcrossMacrotask(() => createCAAsync({ commonName: 'metrics-ca', now, validityDays: 10 }));
  assert.ok(yielded, 'the event loop moved on while the key was generated');
  const x = new X509Certificate(ca.certPem);
  const sync = new X509Certificate(createCA({ commonName: 'metrics-ca', now, validityDays: 10 }).certPem);
  for (const field of ['subject', 'issuer', 'validFrom', 'validTo', 'ca'] as const) assert.deepEqual(x[field], sync[field], field);
  assert.ok(x.verify(x.publicKey), 'self-signed');
  assert.ok(x.checkPrivateKey(createPrivateKey(ca.keyPem)));
  assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  await assert.rejects(createCAAsync({ commonName: 'x', now, validityDays: 0 }), PkiError);
});
