import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { PkiError } from './errors.ts';
import { writeFileAtomic } from './write-file-atomic.ts';

export interface KubeconfigOptions {
  /** The API server URL, e.g. https://127.0.0.1:6443. */
  server: string;
  caCertPem: string;
  /** The user's credential: a client certificate and key, or a bearer token (a node's bootstrap token). */
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  clusterName?: string;
  userName: string;
  /** Defaults to `<userName>@<clusterName>`, as kubeadm names its contexts. */
  contextName?: string;
}

const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

/** A self-contained kubeconfig (credentials inline as *-data) for one user on one cluster. */
export function renderKubeconfig(opts: KubeconfigOptions): string {
  const clusterName = opts.clusterName ?? 'portcullis';
  const contextName = opts.contextName ?? `${opts.userName}@${clusterName}`;
  let url: URL;
  try {
    url = new URL(opts.server);
  } catch {
    throw new PkiError('InvalidOptions', `server is not a URL: ${JSON.stringify(opts.server)}`);
  }
  // Client certificates only mean something over TLS; an http:// server would send the key's
  // owner's requests in clear text and authenticate nobody.
  if (url.protocol !== 'https:') throw new PkiError('InvalidOptions', `server must be an https:// URL, got ${opts.server}`);
  for (const [field, value] of [['clusterName', clusterName], ['userName', opts.userName], ['contextName', contextName]] as const) {
    if (value === '') throw new PkiError('InvalidOptions', `${field} must not be empty`);
  }
  if (opts.token === undefined && (opts.clientCertPem === undefined || opts.clientKeyPem === undefined)) throw new PkiError('InvalidOptions', 'a client certificate and key, or a token, is required');
  const user = opts.token !== undefined ? { token: opts.token } : { 'client-certificate-data': b64(opts.clientCertPem!), 'client-key-data': b64(opts.clientKeyPem!) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caCertPem) } }],
    users: [{ name: opts.userName, user }],
    contexts: [{ name: contextName, context: { cluster: clusterName, user: opts.userName } }],
    'current-context': contextName,
    preferences: {},
  };
  // lineWidth 0: never fold the long base64 strings.
  return stringify(config, { lineWidth: 0 });
}

/** Writes a kubeconfig readable by its owner only: it carries a private key. */
export function writeKubeconfig(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, content, 0o600);
}
