/** Certificate requests for the certificate controllers' tests: RSA through node-forge, ECDSA P-256 through openssl (as kubelets send). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TestCsr {
  /** spec.request: base64 of the PEM. */
  request: string;
  keyPem: string;
}

export interface CsrSubject {
  commonName: string;
  /** More CNs, put before commonName (a subject only a hostile requester sends). */
  commonNamesBefore?: string[];
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

export function rsaCsr(s: CsrSubject): TestCsr {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  const cns = [...(s.commonNamesBefore ?? []), s.commonName].map((value) => ({ name: 'commonName', value }));
  csr.setSubject([...(s.organizations ?? []).map((value) => ({ name: 'organizationName', value })), ...cns]);
  const altNames = [...(s.dnsNames ?? []).map((value) => ({ type: 2, value })), ...(s.ipAddresses ?? []).map((ip) => ({ type: 7, ip }))];
  if (altNames.length) csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames }] }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return { request: Buffer.from(forge.pki.certificationRequestToPem(csr)).toString('base64'), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

export function ecdsaCsr(s: CsrSubject): TestCsr {
  const dir = mkdtempSync(join(tmpdir(), 'csr-'));
  try {
    const subj = [...(s.organizations ?? []).map((o) => `/O=${o}`), `/CN=${s.commonName}`].join('');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'csr.pem'), '-subj', subj, '-batch'], { stdio: 'ignore' });
    return { request: readFileSync(join(dir, 'csr.pem')).toString('base64'), keyPem: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
