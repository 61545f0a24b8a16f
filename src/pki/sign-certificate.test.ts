import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { generateRsaKeyPair } from './key-pair.ts';
import { newCertificate } from './new-certificate.ts';
import { signCertificate } from './sign-certificate.ts';

function unsigned(publicKey: forge.pki.rsa.PublicKey): forge.pki.Certificate {
  const subject = [{ name: 'organizationName', value: 'system:masters' }, { name: 'commonName', value: 'alice' }];
  const cert = newCertificate({ publicKey, subject, now: new Date('2030-01-02T03:04:05Z'), validityDays: 3, random: (n) => Buffer.alloc(n, 0x42) });
  cert.setIssuer([{ name: 'commonName', value: 'test-ca' }]);
  cert.setExtensions([{ name: 'basicConstraints', critical: true, cA: false }, { name: 'extKeyUsage', clientAuth: true }, { name: 'subjectKeyIdentifier' }]);
  return cert;
}

test('the certificate is byte for byte the one forge signs itself (PKCS#1 v1.5 is deterministic)', () => {
  const ca = generateRsaKeyPair();
  const leaf = generateRsaKeyPair();
  const byForge = unsigned(leaf.publicKey);
  byForge.sign(ca.privateKey, forge.md.sha256.create());
  const byNode = unsigned(leaf.publicKey);
  signCertificate(byNode, createPrivateKey(ca.keyPem));
  assert.equal(forge.pki.certificateToPem(byNode), forge.pki.certificateToPem(byForge));
  const x = new X509Certificate(forge.pki.certificateToPem(byNode));
  assert.ok(x.verify(createPublicKey(ca.keyPem)));
  assert.equal(forge.pki.certificateFromPem(x.toString()).signatureOid, forge.pki.oids.sha256WithRSAEncryption);
});
