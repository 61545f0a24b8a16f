/**
 * The authorizers offline commands decide with (policy explain, and the `authorizer` checks of
 * policies in policy test and eval): system:masters, a Casbin model and policy, and RBAC over
 * Role, ClusterRole and binding manifests, each the server's own authorizer, asked in the
 * server's union order (the first allow or deny decides).
 */
import { readFileSync } from 'node:fs';
import { CasbinAuthorizer } from '../authz/casbin/authorizer.ts';
import { CasbinEngine } from '../authz/casbin/engine.ts';
import { loadCasbinModel } from '../authz/casbin/model.ts';
import { parsePolicy } from '../authz/casbin/policy.ts';
import { MastersAuthorizer } from '../authz/masters.ts';
import { RbacAuthorizer } from '../authz/rbac/authorizer.ts';
import type { BindingObject, RoleObject } from '../authz/rbac/types.ts';
import type { Authorizer } from '../authz/types.ts';
import { UnionAuthorizer } from '../authz/union.ts';
import { readManifestFile, splitApiVersion, type Obj } from './manifests.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface OfflineAuthorizerOptions {
  /** Files of Roles, ClusterRoles, RoleBindings and ClusterRoleBindings. */
  rbac: string[];
  casbin?: { model: string; policy: string };
  /** Namespaces whose labels a Casbin model's r.nsLabels reads. */
  namespaces?: readonly Obj[];
  /** The time a Casbin time-of-day model reads. */
  now?: Date;
}

/** RBAC over the objects in `files` (namespaced ones without a namespace are in "default", as kubectl sends them). */
export function rbacFromFiles(files: string[]): RbacAuthorizer {
  const rbac = new RbacAuthorizer();
  const inDefault = (o: Obj): Obj => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace || 'default' } });
  for (const { object: o, file } of files.flatMap((f) => readManifestFile(f))) {
    if (splitApiVersion(o.apiVersion).group !== RBAC_GROUP) throw new Error(`${file}: a ${o.kind} is not an RBAC object (Roles, ClusterRoles and their bindings only)`);
    if (o.kind === 'Role') rbac.index.setRole(inDefault(o) as RoleObject);
    else if (o.kind === 'ClusterRole') rbac.index.setClusterRole(o as RoleObject);
    else if (o.kind === 'RoleBinding') rbac.index.setBinding('RoleBinding', inDefault(o) as BindingObject);
    else if (o.kind === 'ClusterRoleBinding') rbac.index.setBinding('ClusterRoleBinding', o as BindingObject);
    else throw new Error(`${file}: a ${o.kind} is not an RBAC object`);
  }
  return rbac;
}

export async function offlineAuthorizer(o: OfflineAuthorizerOptions): Promise<UnionAuthorizer> {
  const members: Authorizer[] = [new MastersAuthorizer()];
  if (o.casbin) {
    const model = loadCasbinModel(readFileSync(o.casbin.model, 'utf8'), o.casbin.model);
    const engine = await CasbinEngine.build(model, parsePolicy(readFileSync(o.casbin.policy, 'utf8'), o.casbin.policy, model.shapes));
    const labels = new Map((o.namespaces ?? []).map((n) => [String(n.metadata.name), (n.metadata.labels ?? {}) as Record<string, string>]));
    const now = o.now;
    members.push(new CasbinAuthorizer(engine, { ...(now ? { now: () => now } : {}), namespaceLabels: async (ns) => labels.get(ns) ?? {} }));
  }
  if (o.rbac.length > 0) members.push(rbacFromFiles(o.rbac));
  return new UnionAuthorizer(members);
}
