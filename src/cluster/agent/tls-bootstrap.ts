/**
 * The kubelet's TLS bootstrap (pkg/kubelet/certificate/bootstrap LoadClientCert): a client
 * certificate under <data-dir>/pki that is still valid is used as it is; otherwise the bootstrap
 * identity (a bootstrap token, system:bootstrap:<id> in system:bootstrappers) files a
 * kube-apiserver-client-kubelet request for system:node:<name> in system:nodes and waits for the
 * CSR approving controller to approve it and the signer to sign it. The pending key is kept
 * (kubelet-client.key.tmp) so a restart files the same request, under the same digested name.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Timers } from '../client/timers.ts';
import type { ApiClient } from '../client/types.ts';
import { createCsr, waitForCertificate } from './certificate-request.ts';
import { CLIENT_USAGES, SIGNER_CLIENT_KUBELET, loadCert, nodeCertRequest, storeCert, type StoredCert } from './node-certificates.ts';
import { writeFileAtomic } from '../../pki/write-file-atomic.ts';

export interface BootstrapOptions {
  nodeName: string;
  dataDir: string;
  /** The bootstrap identity's client; closed by the caller. */
  bootstrapClient: () => ApiClient;
  now: () => number;
  timers?: Timers;
  pollMs?: number;
  log: { info(o: object, m: string): void };
  signal?: AbortSignal;
}

export async function loadOrBootstrapClientCert(o: BootstrapOptions): Promise<{ cert: StoredCert; bootstrapped: boolean }> {
  const existing = loadCert(o.dataDir, 'client', new Date(o.now()));
  if (existing) return { cert: existing, bootstrapped: false };
  mkdirSync(join(o.dataDir, 'pki'), { recursive: true, mode: 0o700 });
  const keyPath = join(o.dataDir, 'pki', 'kubelet-client.key.tmp');
  const { keyPem, request, publicKeyDer, subject } = nodeCertRequest(o.nodeName, undefined, existsSync(keyPath) ? readFileSync(keyPath, 'utf8') : undefined);
  writeFileAtomic(keyPath, keyPem, 0o600);
  const client = o.bootstrapClient();
  const name = await createCsr(client, { request, signerName: SIGNER_CLIENT_KUBELET, usages: CLIENT_USAGES, digestOf: { publicKeyDer, subject } });
  o.log.info({ csr: name, node: o.nodeName }, 'TLS bootstrap: waiting for the client certificate to be approved and issued');
  const certPem = await waitForCertificate(client, name, { timers: o.timers, pollMs: o.pollMs, signal: o.signal });
  const cert = storeCert(o.dataDir, 'client', certPem, keyPem);
  rmSync(keyPath, { force: true });
  return { cert, bootstrapped: true };
}
