/**
 * The CSR approving controller (pkg/controller/certificates/approver/sarapprove.go, "csrapproving",
 * as system:serviceaccount:kube-system:certificate-controller): kubelet client certificate
 * requests (signer kube-apiserver-client-kubelet, CN system:node:<name>, O system:nodes, no SANs,
 * the kubelet client usages) are approved when a SubjectAccessReview says the requester may
 * create certificatesigningrequests/selfnodeclient (a node renewing its own certificate) or
 * /nodeclient (a bootstrap identity asking for any node's). Portcullis adds one: a node agent's
 * network plugin identity (signer portcullis.dev/node-network-client, CN
 * system:node-network:<node>, O system:node-networks) is approved only when requested by that same
 * node (spec.username system:node:<node>, in system:nodes) and a review says it may create
 * certificatesigningrequests/selfnodenetwork; another node's or a non-node's request is never
 * recognized. Everything else is left for a human: nothing is ever denied here, and a review that
 * does not allow is no approval. Stricter than upstream: a subject with more than one CN is never
 * recognized, so no reader of the certificate that takes another CN than the last (as Go and our
 * x509 authenticator do) can see a user name nobody reviewed.
 */
import type { Controller, K8sObject, ResourceRef } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import {
  hasCertificate, hasTrueCondition, kubeletClientError, nodeNetworkClientError, parseRequest,
  NODE_NETWORK_USER_PREFIX, SIGNER_KUBE_APISERVER_CLIENT_KUBELET, SIGNER_NODE_NETWORK_CLIENT, type Csr, type X509Request,
} from './csr-request.ts';

export const CSR_APPROVING_CONTROLLER = 'csrapproving';
export const CSRS = resources.certificatesigningrequests;
export const SUBJECT_ACCESS_REVIEWS: ResourceRef = Object.freeze({ group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false });

interface Recognizer {
  recognize(csr: Csr, req: X509Request): boolean;
  subresource: string;
  message: string;
}

const isNodeClientCert = (csr: Csr, req: X509Request): boolean =>
  csr.spec?.signerName === SIGNER_KUBE_APISERVER_CLIENT_KUBELET && req.commonNameCount === 1 && kubeletClientError(req, csr.spec?.usages ?? []) === undefined;

/** The network identity of the very node asking (its own authenticated name and group, which the API server wrote). */
function isSelfNodeNetworkCert(csr: Csr, req: X509Request): boolean {
  if (csr.spec?.signerName !== SIGNER_NODE_NETWORK_CLIENT || req.commonNameCount !== 1 || nodeNetworkClientError(req, csr.spec?.usages ?? []) !== undefined) return false;
  const node = req.commonName.slice(NODE_NETWORK_USER_PREFIX.length);
  const groups: unknown = csr.spec?.groups;
  return csr.spec?.username === `system:node:${node}` && Array.isArray(groups) && groups.includes('system:nodes');
}

/** In upstream's order: a node's own renewal first; then Portcullis's node network identity. */
const RECOGNIZERS: readonly Recognizer[] = Object.freeze([
  { recognize: (csr, req) => csr.spec?.username === req.commonName && isNodeClientCert(csr, req), subresource: 'selfnodeclient', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' },
  { recognize: isNodeClientCert, subresource: 'nodeclient', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' },
  { recognize: isSelfNodeNetworkCert, subresource: 'selfnodenetwork', message: 'Auto approving the requesting node\'s network client certificate after SubjectAccessReview.' },
]);

export class NotApprovedError extends Error {}

export function newCsrApprovingController(deps: WorkloadControllerDeps): Controller {
  const { client } = deps;
  const csrs = deps.informers.informer<Csr>(CSRS);
  csrs.addEventHandler({ add: (c) => deps.queue.add(c.metadata.name ?? ''), update: (_o, c) => deps.queue.add(c.metadata.name ?? '') });

  /** The requester's permission, asked of the API server as the requester (spec.username etc.). */
  const authorize = async (csr: Csr, subresource: string): Promise<boolean> => {
    const sar = await client.create<K8sObject>(SUBJECT_ACCESS_REVIEWS, '', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: csr.spec?.username,
        uid: csr.spec?.uid,
        groups: csr.spec?.groups,
        extra: csr.spec?.extra,
        resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource },
      },
    });
    return sar.status?.allowed === true;
  };

  const sync = async (name: string): Promise<void> => {
    const csr = csrs.get('', name);
    if (!csr || hasCertificate(csr) || hasTrueCondition(csr, 'Approved') || hasTrueCondition(csr, 'Denied')) return;
    const req = parseRequest(csr.spec?.request);
    const tried: string[] = [];
    for (const r of RECOGNIZERS) {
      if (!r.recognize(csr, req)) continue;
      tried.push(r.subresource);
      if (!(await authorize(csr, r.subresource))) continue;
      const approved = { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'AutoApproved', message: r.message }] } };
      await client.update(CSRS, '', approved, 'approval');
      return;
    }
    // Retried with backoff, as upstream's ignorable error: a binding granted later still counts.
    if (tried.length) throw new NotApprovedError(`recognized csr "${name}" as [${tried.join(' ')}] but subject access review was not approved`);
  };

  return newQueueController({ name: CSR_APPROVING_CONTROLLER, queue: deps.queue, waitFor: [csrs], sync, log: deps.log });
}
