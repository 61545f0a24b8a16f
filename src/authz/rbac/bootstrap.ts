/** The bootstrap RBAC policy, kept as data in policies/bootstrap-rbac/*.yaml. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { BindingObject, RoleObject } from './types.ts';

const DIR = new URL('../../../policies/bootstrap-rbac/', import.meta.url);

export interface BootstrapPolicy {
  clusterRoles: RoleObject[];
  clusterRoleBindings: BindingObject[];
  /** Roles and RoleBindings in a namespace (upstream's NamespaceRoles / NamespaceRoleBindings). */
  roles: RoleObject[];
  roleBindings: BindingObject[];
}

/** Reads and checks the policy: every document a (Cluster)Role or (Cluster)RoleBinding with a name, the namespaced ones with a namespace. */
export function loadBootstrapPolicy(dir: URL = DIR): BootstrapPolicy {
  const out: BootstrapPolicy = { clusterRoles: [], clusterRoleBindings: [], roles: [], roleBindings: [] };
  // controller-*.yaml: one role per kube-controller-manager controller, bound to its ServiceAccount.
  // namespace-*.yaml: Roles and RoleBindings in kube-system.
  // portcullis-roles.yaml: Portcullis's own (the node agent's network read access).
  for (const file of ['cluster-roles.yaml', 'cluster-role-bindings.yaml', 'controller-roles.yaml', 'controller-role-bindings.yaml', 'namespace-roles.yaml', 'namespace-role-bindings.yaml', 'portcullis-roles.yaml']) {
    const url = new URL(file, dir);
    for (const doc of parseAllDocuments(readFileSync(url, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${url.pathname}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as (RoleObject & BindingObject) | null;
      if (obj === null) continue;
      if (!obj.metadata?.name) throw new Error(`${url.pathname}: an object without metadata.name`);
      const namespaced = obj.kind === 'Role' || obj.kind === 'RoleBinding';
      if (namespaced !== !!obj.metadata.namespace) throw new Error(`${url.pathname}: ${obj.kind} ${obj.metadata.name} ${namespaced ? 'needs' : 'cannot have'} metadata.namespace`);
      if (obj.kind === 'ClusterRole') out.clusterRoles.push(obj);
      else if (obj.kind === 'ClusterRoleBinding') out.clusterRoleBindings.push(obj);
      else if (obj.kind === 'Role') out.roles.push(obj);
      else if (obj.kind === 'RoleBinding') out.roleBindings.push(obj);
      else throw new Error(`${url.pathname}: unsupported kind ${JSON.stringify(obj.kind)} (${obj.metadata.name})`);
    }
  }
  return out;
}
