import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCA, type CertKeyPem } from './ca.ts';
import { issueCert, type IssueCertOptions } from './certs.ts';
import { PkiError } from './errors.ts';
import type { RandomBytes } from './new-certificate.ts';
import { writeFileAtomic } from './write-file-atomic.ts';

export interface PkiPaths {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
}

export interface ClusterPki {
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  paths: PkiPaths;
}

export interface PkiLogger {
  info(msg: string): void;
}

export interface EnsureClusterPkiOptions {
  now: Date;
  log?: PkiLogger;
  /** Extra SANs for the API server certificate (hostnames, the kubernetes Service IP, ...). */
  serverDnsNames?: string[];
  serverIpAddresses?: string[];
  random?: RandomBytes;
}

const CA_VALIDITY_DAYS = 3650; // kubeadm's CA lifetime
const LEAF_VALIDITY_DAYS = 365; // kubeadm's leaf lifetime; expired leaves are reissued on start
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;

/** The in-cluster names every client may use for the API server (kubeadm's defaults). */
const SERVER_DNS_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];

export function pkiPaths(dataDir: string): PkiPaths {
  const dir = join(dataDir, 'pki');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
  };
}

/**
 * Creates the cluster CA, API server certificate and admin client certificate under
 * `<dataDir>/pki` on first start, and loads them on later starts. Existing material is never
 * regenerated behind the operator's back: a missing or expired leaf is reissued from the existing
 * CA, but a missing, partial, corrupt or expired CA is an error, because replacing it would
 * silently invalidate every kubeconfig and certificate already handed out.
 */
export function ensureClusterPki(dataDir: string, opts: EnsureClusterPkiOptions): ClusterPki {
  const paths = pkiPaths(dataDir);
  mkdirSync(paths.dir, { recursive: true, mode: DIR_MODE });
  chmodSync(paths.dir, DIR_MODE); // also tighten a directory someone created by hand
  const log = opts.log ?? { info: () => {} };

  const ca = ensureCa(paths, opts, log);
  const server = ensureLeaf(ca, paths.serverCert, paths.serverKey, opts, log, {
    commonName: 'kube-apiserver',
    usage: 'server',
    dnsNames: [...SERVER_DNS_NAMES, ...(opts.serverDnsNames ?? [])],
    ipAddresses: opts.serverIpAddresses,
  });
  // system:masters is the group bootstrap RBAC binds to cluster-admin.
  const admin = ensureLeaf(ca, paths.adminCert, paths.adminKey, opts, log, {
    commonName: 'admin',
    organizations: ['system:masters'],
    usage: 'client',
  });
  return {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    paths,
  };
}

export interface LoadedPair extends CertKeyPem {
  x509: X509Certificate;
}

function ensureCa(paths: PkiPaths, opts: EnsureClusterPkiOptions, log: PkiLogger): LoadedPair {
  const hasCert = existsSync(paths.caCert);
  const hasKey = existsSync(paths.caKey);
  if (!hasCert && !hasKey) {
    const leaves = [paths.serverCert, paths.serverKey, paths.adminCert, paths.adminKey].filter((p) => existsSync(p));
    if (leaves.length > 0) {
      throw new PkiError('MissingCa', `${paths.caCert} and ${paths.caKey} are missing but ${leaves.join(', ')} exist; restore the CA or remove ${paths.dir} to start over`, paths.caCert);
    }
    const ca = createCA({ commonName: 'portcullis-ca', now: opts.now, validityDays: CA_VALIDITY_DAYS, random: opts.random });
    writePair(ca, paths.caCert, paths.caKey);
    log.info(`created cluster CA ${paths.caCert}`);
    return { ...ca, x509: new X509Certificate(ca.certPem) };
  }
  if (!hasCert || !hasKey) {
    const missing = hasCert ? paths.caKey : paths.caCert;
    throw new PkiError('MissingCa', `${missing} is missing; restore it or remove ${paths.dir} to start over`, missing);
  }
  const pair = loadPair(paths.caCert, paths.caKey);
  if (!pair.x509.ca) throw new PkiError('CorruptPem', `${paths.caCert} is not a CA certificate`, paths.caCert);
  // Our certificates are signed sha256WithRSAEncryption (sign-certificate.ts), and forge reads RSA keys only.
  if (pair.x509.publicKey.asymmetricKeyType !== 'rsa') {
    throw new PkiError('CorruptPem', `${paths.caCert} has a ${pair.x509.publicKey.asymmetricKeyType} key; only RSA CAs are supported`, paths.caCert);
  }
  if (new Date(pair.x509.validTo).getTime() <= opts.now.getTime()) {
    throw new PkiError('CaExpired', `${paths.caCert} expired at ${pair.x509.validTo}`, paths.caCert);
  }
  return pair;
}

type LeafSpec = Omit<IssueCertOptions, 'now' | 'validityDays' | 'random'>;

function ensureLeaf(ca: LoadedPair, certPath: string, keyPath: string, opts: EnsureClusterPkiOptions, log: PkiLogger, spec: LeafSpec): CertKeyPem {
  if (existsSync(certPath) && existsSync(keyPath)) {
    const pair = loadPair(certPath, keyPath);
    // A leaf from some other CA would fail every handshake; say so now, naming the file.
    if (!pair.x509.checkIssued(ca.x509) || !pair.x509.verify(ca.x509.publicKey)) {
      throw new PkiError('NotSignedByCa', `${certPath} was not issued by ${ca.x509.subject.replace(/\n/g, ', ')} in the CA file`, certPath);
    }
    if (new Date(pair.x509.validTo).getTime() > opts.now.getTime()) return pair;
    log.info(`${certPath} expired at ${pair.x509.validTo}; reissuing it from the cluster CA`);
  } else {
    log.info(`issuing ${certPath} from the cluster CA`);
  }
  const issued = issueCert(ca, { ...spec, now: opts.now, validityDays: LEAF_VALIDITY_DAYS, random: opts.random });
  writePair(issued, certPath, keyPath);
  return issued;
}

/** Key first: a crash in between leaves a key without a cert, which the next start reissues. */
export function writePair(pair: CertKeyPem, certPath: string, keyPath: string): void {
  writeFileAtomic(keyPath, pair.keyPem, KEY_MODE);
  writeFileAtomic(certPath, pair.certPem, CERT_MODE);
}

export function loadPair(certPath: string, keyPath: string): LoadedPair {
  const certPem = readFileSync(certPath, 'utf8');
  const keyPem = readFileSync(keyPath, 'utf8');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    throw new PkiError('CorruptPem', `${certPath} does not hold a valid PEM certificate: ${(err as Error).message}`, certPath);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new PkiError('CorruptPem', `${keyPath} does not hold a valid PEM private key: ${(err as Error).message}`, keyPath);
  }
  if (!x509.checkPrivateKey(key)) {
    throw new PkiError('KeyMismatch', `${keyPath} is not the private key of ${certPath}`, keyPath);
  }
  return { certPem, keyPem, x509 };
}
