/**
 * client-go's certificate/csr helpers as the kubelet uses them: create a
 * CertificateSigningRequest and wait until it is signed, denied or failed. The bootstrap request
 * gets a name digested from its public key, subject and usages (node-csr-<digest>, the kubelet's
 * digestedName; not from the request bytes, which differ on every signing with ECDSA) so a
 * restarted agent finds its own pending request instead of filing another; rotation and serving
 * requests take a generated name (csr-xxxxx).
 */
import { createHash } from 'node:crypto';
import { isAlreadyExists } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import { realTimers, sleep, type Timers } from '../client/timers.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';

export interface CsrSpec {
  /** base64 of the PEM request. */
  request: string;
  signerName: string;
  usages: readonly string[];
  /** Digested name (bootstrap) from this key and subject instead of a generated one. */
  digestOf?: { publicKeyDer: Buffer; subject: { commonName: string; organizations: readonly string[] } };
  expirationSeconds?: number;
}

export interface WaitOptions {
  timers?: Timers;
  /** How often the request is read again (default 500 ms). */
  pollMs?: number;
  /** Give up after this long (the kubelet's bootstrap waits an hour). */
  timeoutMs?: number;
  /** Ends the wait (agent stopping). */
  signal?: AbortSignal;
}

/** The kubelet's digestedName: SHA-512/256 over base64url(spki)|CN|each O|each usage|, as node-csr-<base64url>. */
export function digestedName(publicKeyDer: Buffer, subject: { commonName: string; organizations: readonly string[] }, usages: readonly string[]): string {
  const h = createHash('sha512-256');
  const write = (data: Buffer | string) => h.update(Buffer.from(data).toString('base64url')).update('|');
  write(publicKeyDer);
  write(subject.commonName);
  for (const o of subject.organizations) write(o);
  for (const u of usages) write(u);
  return `node-csr-${h.digest('base64url')}`;
}

/** Files the request; resolves with the CSR's name. */
export async function createCsr(client: ApiClient, s: CsrSpec): Promise<string> {
  const body: K8sObject = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: s.digestOf ? { name: digestedName(s.digestOf.publicKeyDer, s.digestOf.subject, s.usages) } : { generateName: 'csr-' },
    spec: { request: s.request, signerName: s.signerName, usages: [...s.usages], ...(s.expirationSeconds ? { expirationSeconds: s.expirationSeconds } : {}) },
  };
  try {
    const created = await client.create<K8sObject>(resources.certificatesigningrequests, '', body);
    return created.metadata.name ?? '';
  } catch (err) {
    // Our own request from before a restart: same key, same name; wait for it.
    if (s.digestOf && isAlreadyExists(err)) return body.metadata.name!;
    throw err;
  }
}

interface Condition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The issued certificate (PEM), once the signer has written it. */
export async function waitForCertificate(client: ApiClient, name: string, o: WaitOptions = {}): Promise<string> {
  const timers = o.timers ?? realTimers;
  const poll = o.pollMs ?? 500;
  const deadline = o.timeoutMs ?? 3_600_000;
  for (let waited = 0; ; waited += poll) {
    if (o.signal?.aborted) throw new Error(`stopped while waiting for certificate signing request ${name}`);
    const csr = await client.get<K8sObject>(resources.certificatesigningrequests, '', name);
    const conditions = (csr.status?.conditions ?? []) as Condition[];
    const denied = conditions.find((c) => c.type === 'Denied' && c.status !== 'False');
    if (denied) throw new Error(`certificate signing request is denied, reason: ${denied.reason ?? ''}, message: ${denied.message ?? ''}`);
    const failed = conditions.find((c) => c.type === 'Failed' && c.status !== 'False');
    if (failed) throw new Error(`certificate signing request failed, reason: ${failed.reason ?? ''}, message: ${failed.message ?? ''}`);
    const approved = conditions.some((c) => c.type === 'Approved' && c.status !== 'False');
    if (approved && typeof csr.status?.certificate === 'string' && csr.status.certificate.length > 0) {
      return Buffer.from(csr.status.certificate, 'base64').toString('utf8');
    }
    if (waited >= deadline) throw new Error(`timed out waiting for the certificate signing request ${name} to be approved and issued`);
    await sleep(timers, poll);
  }
}
