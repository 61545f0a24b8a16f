/**
 * Identities of the in-cluster components, as client certificates from the cluster CA: the
 * users and groups upstream's components authenticate as, so the bootstrap RBAC roles
 * (system:kube-scheduler, system:kube-controller-manager, system:controller:*, system:node:*
 * through the Node authorizer) apply to them unchanged.
 *
 * Per-controller identities are those `kube-controller-manager --use-service-account-credentials`
 * gives (system:serviceaccount:kube-system:<controller>), but carried by a certificate instead of
 * a service account token: nothing has to exist in the API before the controllers start, and no
 * token can be read back from a Secret. The user and groups the authorizer sees are the same.
 */
import type { CertKeyPem } from '../../pki/ca.ts';
import { issueCertAsync } from '../../pki/certs.ts';
import type { ClientConfig, ClientIdentity } from './types.ts';

export interface ComponentIdentity {
  user: string;
  groups: string[];
}

export const KUBE_SCHEDULER: Readonly<ComponentIdentity> = Object.freeze({ user: 'system:kube-scheduler', groups: [] });
export const KUBE_CONTROLLER_MANAGER: Readonly<ComponentIdentity> = Object.freeze({ user: 'system:kube-controller-manager', groups: [] });

// RFC 1123 subdomain: the names a ServiceAccount or a Node may have.
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkName(what: string, name: string): void {
  if (name.length > 253 || !SUBDOMAIN.test(name)) throw new Error(`invalid ${what} name ${JSON.stringify(name)}: must be an RFC 1123 subdomain`);
}

/** A service account's user and groups (serviceaccount.UserInfo). */
export function serviceAccountIdentity(name: string, namespace = 'kube-system'): ComponentIdentity {
  checkName('service account', name);
  checkName('namespace', namespace);
  return { user: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
}

/** A controller's own identity, as with --use-service-account-credentials ("replicaset-controller", ...). */
export function controllerIdentity(controller: string): ComponentIdentity {
  return serviceAccountIdentity(controller, 'kube-system');
}

/** A node's identity (the kubelet's client certificate: Node authorizer and NodeRestriction). */
export function nodeIdentity(nodeName: string): ComponentIdentity {
  checkName('node', nodeName);
  return { user: `system:node:${nodeName}`, groups: ['system:nodes'] };
}

export interface MintOptions {
  now: Date;
  /** Default 365 days (the lifetime of the other certificates `portcullis up` writes). */
  validityDays?: number;
}

/**
 * A client certificate for `id`, signed by the cluster CA, as a ClientIdentity that trusts that CA.
 * The key is ECDSA P-256, as the kubelet's own client key: these identities live in memory only,
 * for our own TLS client, and a manager mints some thirty of them, which as RSA-2048 keys cost
 * about 2 s of CPU against milliseconds. It is generated off the event loop all the same.
 */
export async function mintClientIdentity(ca: CertKeyPem, id: ComponentIdentity, opts: MintOptions): Promise<ClientIdentity> {
  const c = await issueCertAsync(ca, { commonName: id.user, organizations: id.groups, usage: 'client', now: opts.now, validityDays: opts.validityDays ?? 365, keyAlgorithm: 'ECDSA-P256' });
  return { caPem: ca.certPem, certPem: c.certPem, keyPem: c.keyPem };
}

/** A ClientConfig for a component: its identity, and a User-Agent naming it in logs and audit. */
export async function componentClientConfig(server: string, ca: CertKeyPem, id: ComponentIdentity, component: string, opts: MintOptions & Pick<ClientConfig, 'protobuf' | 'maxRetries'>): Promise<ClientConfig> {
  return {
    server,
    identity: await mintClientIdentity(ca, id, opts),
    userAgent: `portcullis/${component}`,
    ...(opts.protobuf !== undefined ? { protobuf: opts.protobuf } : {}),
    ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
  };
}
