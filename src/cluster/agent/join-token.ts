/**
 * What lets nodes join by bootstrap token, set up through the API as kubeadm's `init` does: a
 * bootstrap token Secret (kube-system/bootstrap-token-<id>, usage-bootstrap-authentication, the
 * extra group system:bootstrappers:portcullis:default-node-token, an expiration), and the three
 * ClusterRoleBindings kubeadm makes under its own names: that group may file CSRs
 * (system:node-bootstrapper) and have kubelet client certificates auto-approved
 * (...:certificatesigningrequests:nodeclient), and every node may have its own renewals
 * auto-approved (...:selfnodeclient for system:nodes). Serving certificates are not auto-approved.
 */
import { randomBytes } from 'node:crypto';
import { isAlreadyExists } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';

export const JOIN_GROUP = 'system:bootstrappers:portcullis:default-node-token';
const CLUSTER_ROLE_BINDINGS: ResourceRef = Object.freeze({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false });

/** kubeadm's bindings, under portcullis: names. */
export const JOIN_BINDINGS: ReadonlyArray<{ name: string; role: string; group: string }> = Object.freeze([
  { name: 'portcullis:kubelet-bootstrap', role: 'system:node-bootstrapper', group: JOIN_GROUP },
  { name: 'portcullis:node-autoapprove-bootstrap', role: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', group: JOIN_GROUP },
  { name: 'portcullis:node-autoapprove-certificate-rotation', role: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', group: 'system:nodes' },
]);

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** n characters of [a-z0-9], uniformly (rejection sampling over random bytes). */
export function tokenChars(n: number, random: (size: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < n) {
    for (const b of random(n * 2)) {
      if (b < 252 && out.length < n) out += ALPHABET[b % 36];
    }
  }
  return out;
}

export interface JoinTokenOptions {
  now: () => number;
  /** Lifetime (kubeadm's default token TTL is 24 h). */
  ttlMs?: number;
  random?: (size: number) => Buffer;
  description?: string;
}

/** The bindings (idempotent) and a new token `<id>.<secret>`. */
export async function createJoinToken(client: ApiClient, o: JoinTokenOptions): Promise<string> {
  for (const b of JOIN_BINDINGS) {
    const crb: K8sObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: b.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: b.group }],
    };
    try {
      await client.create(CLUSTER_ROLE_BINDINGS, '', crb);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const id = tokenChars(6, o.random);
  const secret = tokenChars(16, o.random);
  const expiration = new Date(o.now() + (o.ttlMs ?? 24 * 3_600_000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client.create(resources.secrets, 'kube-system', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: {
      'token-id': id,
      'token-secret': secret,
      expiration,
      'usage-bootstrap-authentication': 'true',
      'auth-extra-groups': JOIN_GROUP,
      description: o.description ?? 'node join token made by portcullis',
    },
  });
  return `${id}.${secret}`;
}
