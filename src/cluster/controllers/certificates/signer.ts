/**
 * The CSR signing controller (pkg/controller/certificates/signer, "csrsigning", as
 * certificate-controller, holding the cluster CA as upstream's --cluster-signing-cert-file /
 * --cluster-signing-key-file): approved requests for kube-apiserver-client,
 * kube-apiserver-client-kubelet, kubelet-serving and Portcullis's portcullis.dev/node-network-client
 * (the node agents' network plugin identity) are signed and the certificate written through
 * certificatesigningrequests/status. A request that breaks its signer's rules (subject, SANs,
 * usages) gets a Failed condition (SignerValidationFailure) instead; unapproved, denied, failed
 * and already signed requests and other signers are left alone. spec.expirationSeconds is
 * honoured between 10 minutes and the signing duration (default one year).
 */
import type { Controller } from '../../client/types.ts';
import type { CertKeyPem } from '../../../pki/ca.ts';
import { formatTime } from '../pod-util.ts';
import { newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { newAuthority } from './authority.ts';
import { CSRS } from './approver.ts';
import {
  apiServerClientError, hasCertificate, hasTrueCondition, isApproved, kubeletClientError, kubeletServingError, nodeNetworkClientError, parseRequest,
  SIGNER_KUBE_APISERVER_CLIENT, SIGNER_KUBE_APISERVER_CLIENT_KUBELET, SIGNER_KUBELET_SERVING, SIGNER_NODE_NETWORK_CLIENT, type Csr, type X509Request,
} from './csr-request.ts';

export const CSR_SIGNING_CONTROLLER = 'csrsigning';
/** --cluster-signing-duration default (8760h). */
export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 60 * 60 * 1000;
const MIN_DURATION_MS = 10 * 60 * 1000;

/** Each signer's rules; undefined: the request may be signed. */
const SIGNERS: Readonly<Record<string, (req: X509Request, usages: readonly string[]) => string | undefined>> = Object.freeze({
  [SIGNER_KUBE_APISERVER_CLIENT]: (_req, usages) => apiServerClientError(usages),
  [SIGNER_KUBE_APISERVER_CLIENT_KUBELET]: kubeletClientError,
  [SIGNER_KUBELET_SERVING]: kubeletServingError,
  [SIGNER_NODE_NETWORK_CLIENT]: nodeNetworkClientError,
});

export interface CsrSigningDeps extends WorkloadControllerDeps {
  /** The cluster CA certificate and key. */
  ca: CertKeyPem;
  /** --cluster-signing-duration (default one year). */
  signingDurationMs?: number;
}

/** signer.duration: the requested lifetime, at least 10 minutes, at most the signing duration. */
export function certificateDurationMs(expirationSeconds: unknown, maxMs: number): number {
  if (typeof expirationSeconds !== 'number') return maxMs;
  const requested = expirationSeconds * 1000;
  return requested > maxMs ? maxMs : requested < MIN_DURATION_MS ? MIN_DURATION_MS : requested;
}

export function newCsrSigningController(deps: CsrSigningDeps): Controller {
  const { client } = deps;
  const now = deps.now ?? Date.now;
  // Fails at start on a key that is not the certificate's or a certificate that is no CA.
  const authority = newAuthority(deps.ca);
  const maxMs = deps.signingDurationMs ?? DEFAULT_SIGNING_DURATION_MS;
  const csrs = deps.informers.informer<Csr>(CSRS);
  csrs.addEventHandler({ add: (c) => deps.queue.add(c.metadata.name ?? ''), update: (_o, c) => deps.queue.add(c.metadata.name ?? '') });

  const sync = async (name: string): Promise<void> => {
    const csr = csrs.get('', name);
    if (!csr || !isApproved(csr) || hasTrueCondition(csr, 'Failed') || hasCertificate(csr)) return;
    const rules = SIGNERS[csr.spec?.signerName];
    if (!rules) return;
    const usages: string[] = Array.isArray(csr.spec?.usages) ? csr.spec.usages : [];
    let req: X509Request;
    let refusal: string | undefined;
    try {
      req = parseRequest(csr.spec?.request);
      refusal = rules(req, usages);
    } catch (err) {
      throw new Error(`unable to parse csr "${name}": ${(err as Error).message}`);
    }
    if (refusal !== undefined) {
      const failed = { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: refusal, lastUpdateTime: formatTime(now()) };
      await client.update(CSRS, '', { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), failed] } }, 'status');
      return;
    }
    const pem = authority.sign(req, usages, certificateDurationMs(csr.spec?.expirationSeconds, maxMs), now());
    await client.update(CSRS, '', { ...csr, status: { ...csr.status, certificate: Buffer.from(pem).toString('base64') } }, 'status');
  };

  return newQueueController({ name: CSR_SIGNING_CONTROLLER, queue: deps.queue, waitFor: [csrs], sync, log: deps.log });
}
