/**
 * Who the scale bench's clients are (issue 12), so the load meets the server as a real cluster's
 * would: the load client is an ordinary user, `scale-tenant`, allowed by a Role to create pods in
 * its namespace and nothing else (RBAC decides; APF puts it in global-default, as any tenant that is
 * neither a service account nor a system component); each simulated node is `system:node:<name>`
 * in `system:nodes` (the Node authorizer and NodeRestriction judge its writes, APF's system-nodes /
 * system-node-high schemas carry them), as each kubemark hollow node runs a kubelet with
 * credentials of its own; the simulator's one pod list+watch is `portcullis-sim`, a user with a
 * ClusterRole to read pods. Bearer tokens from a --token-auth-file (upstream's static token CSV,
 * what kubemark's known_tokens.csv uses): minting thousands of client certificates would cost
 * minutes of RSA signing before the run.
 * BENCH_SCALE_IDENTITIES=admin puts everything back on the admin certificate (system:masters,
 * APF-exempt), for comparing with earlier figures.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RestClient } from '../src/cluster/client/rest-client.ts';
import type { ResourceRef } from '../src/cluster/client/types.ts';

export const TENANT = 'scale-tenant';
export const SIM_USER = 'portcullis-sim';

export interface ScaleIdentities {
  tokenAuthFile: string;
  tenantToken: string;
  simToken: string;
  nodeToken(nodeName: string): string;
}

const token = (): string => randomBytes(24).toString('base64url');

/** Writes the token file into dir: one token for the tenant, one for the simulator, one per node. */
export function writeScaleIdentities(dir: string, nodeNames: readonly string[]): ScaleIdentities {
  const tenantToken = token();
  const simToken = token();
  const nodes = new Map(nodeNames.map((n) => [n, token()]));
  const lines = [`${tenantToken},${TENANT},${TENANT}`, `${simToken},${SIM_USER},${SIM_USER}`];
  for (const [name, t] of nodes) lines.push(`${t},system:node:${name},node-${name},system:nodes`);
  const tokenAuthFile = join(dir, 'scale-tokens.csv');
  writeFileSync(tokenAuthFile, lines.join('\n') + '\n', { mode: 0o600 });
  return {
    tokenAuthFile,
    tenantToken,
    simToken,
    nodeToken(name) {
      const t = nodes.get(name);
      if (!t) throw new Error(`no token for node ${name}`);
      return t;
    },
  };
}

const rbac = (resource: string, kind: string, namespaced: boolean): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource, kind, namespaced });
const RBAC_API = 'rbac.authorization.k8s.io/v1';

/** The grants, written by the admin: pod create in the namespace for the tenant, pod reads for the simulator. */
export async function grantScaleIdentities(admin: RestClient, namespace: string): Promise<void> {
  await admin.create(rbac('roles', 'Role', true), namespace, {
    apiVersion: RBAC_API,
    kind: 'Role',
    metadata: { name: 'pod-creator', namespace },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }],
  });
  await admin.create(rbac('rolebindings', 'RoleBinding', true), namespace, {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name: 'pod-creator', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-creator' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: TENANT }],
  });
  await admin.create(rbac('clusterroles', 'ClusterRole', false), '', {
    apiVersion: RBAC_API,
    kind: 'ClusterRole',
    metadata: { name: 'portcullis-sim-pod-reader' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
  });
  await admin.create(rbac('clusterrolebindings', 'ClusterRoleBinding', false), '', {
    apiVersion: RBAC_API,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'portcullis-sim-pod-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'portcullis-sim-pod-reader' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: SIM_USER }],
  });
}
