/**
 * The API server's identity towards node agents (kube-apiserver --kubelet-client-certificate):
 * a client certificate from the cluster CA for the user kube-apiserver-kubelet-client, in no
 * group. What it may do on the agents comes from RBAC alone: the bootstrap binding of that user to
 * system:kubelet-api-admin (nodes/proxy, log, stats, metrics). Agents verify it against the cluster
 * CA and ask the API server by SubjectAccessReview, as any kubelet does for any caller.
 */
import type { CertKeyPem } from '../../pki/ca.ts';
import { issueCertAsync } from '../../pki/certs.ts';
import type { KubeletClientTls } from './kubelet-proxy.ts';

export const KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

export async function kubeletClientIdentity(ca: CertKeyPem, now: Date): Promise<KubeletClientTls> {
  const c = await issueCertAsync(ca, { commonName: KUBELET_CLIENT_USER, usage: 'client', now, validityDays: 365 });
  return { caPem: ca.certPem, certPem: c.certPem, keyPem: c.keyPem };
}
