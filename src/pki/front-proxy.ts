/**
 * The front-proxy PKI (kubeadm's front-proxy-ca and front-proxy-client): the certificate the API
 * server presents to aggregated API servers, from a CA of its own. A separate CA, as upstream:
 * backends trust this CA to vouch for X-Remote-User, so no certificate the cluster CA issues to
 * users (CSR signing) may ever be mistaken for the proxy's.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCA } from './ca.ts';
import { issueCert } from './certs.ts';
import { PkiError } from './errors.ts';
import { loadPair, writePair, type LoadedPair, type PkiLogger } from './bundle.ts';

export const FRONT_PROXY_CLIENT_CN = 'front-proxy-client';

export interface FrontProxyPki {
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

export function ensureFrontProxyPki(dataDir: string, opts: { now: Date; log?: PkiLogger }): FrontProxyPki {
  const dir = join(dataDir, 'pki');
  const caCert = join(dir, 'front-proxy-ca.crt');
  const caKey = join(dir, 'front-proxy-ca.key');
  const clientCert = join(dir, 'front-proxy-client.crt');
  const clientKey = join(dir, 'front-proxy-client.key');
  const log = opts.log ?? { info: () => {} };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca: LoadedPair;
  const hasCert = existsSync(caCert);
  const hasKey = existsSync(caKey);
  if (!hasCert && !hasKey) {
    const made = createCA({ commonName: 'front-proxy-ca', now: opts.now, validityDays: 3650 });
    writePair(made, caCert, caKey);
    log.info(`created front-proxy CA ${caCert}`);
    ca = { ...made, x509: new X509Certificate(made.certPem) };
  } else if (!hasCert || !hasKey) {
    const missing = hasCert ? caKey : caCert;
    throw new PkiError('MissingCa', `${missing} is missing; restore it or remove both front-proxy-ca files to start over`, missing);
  } else {
    ca = loadPair(caCert, caKey);
    if (new Date(ca.x509.validTo).getTime() <= opts.now.getTime()) throw new PkiError('CaExpired', `${caCert} expired at ${ca.x509.validTo}`, caCert);
  }
  if (existsSync(clientCert) && existsSync(clientKey)) {
    const pair = loadPair(clientCert, clientKey);
    if (pair.x509.checkIssued(ca.x509) && pair.x509.verify(ca.x509.publicKey) && new Date(pair.x509.validTo).getTime() > opts.now.getTime()) {
      return { caCertPem: ca.certPem, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem };
    }
  }
  log.info(`issuing ${clientCert} from the front-proxy CA`);
  const client = issueCert(ca, { commonName: FRONT_PROXY_CLIENT_CN, usage: 'client', now: opts.now, validityDays: 365 });
  writePair(client, clientCert, clientKey);
  return { caCertPem: ca.certPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem };
}
