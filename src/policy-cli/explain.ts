/**
 * `portcullis policy explain -f RESOURCE --as USER ...`: the decision trace of a request that
 * has not been made, offline: the user as given, the authorization by the Casbin model and policy
 * and the RBAC objects given (each decided by the server's own authorizer, in the server's order:
 * system:masters, Casbin, RBAC), then each ValidatingAdmissionPolicy's verdict by the server's
 * plugin (policy-cli/offline-admission.ts). The result is the same document as the server's
 * `/debug/portcullis/explain/<id>` trace (src/server/trace.ts), rendered by `portcullis explain`'s
 * renderer, so an offline and a live explanation read alike.
 */
import { builtinResources } from '../api/registry/builtin.ts';
import { ResourceRegistry } from '../api/registry/registry.ts';
import type { UserInfo } from '../authn/types.ts';
import { forbiddenMessage } from '../authz/forbidden-message.ts';
import type { AuthzAttributes } from '../authz/types.ts';
import { renderTrace, type RequestTrace } from '../server/trace.ts';
import { evalInputs } from './eval.ts';
import { readManifestFile, splitApiVersion } from './manifests.ts';
import { OfflineAdmission } from './offline-admission.ts';
import { offlineAuthorizer } from './offline-authorizer.ts';

export interface OfflineExplainOptions {
  /** The objects to explain a create of (one trace each). */
  resources: string[];
  /** An update instead: the stored object (one resource only). */
  old?: string;
  user: UserInfo;
  /** ValidatingAdmissionPolicies, bindings, params, Namespaces (as `policy eval --policy`). */
  policies: string[];
  /** Roles, ClusterRoles, RoleBindings, ClusterRoleBindings. */
  rbac: string[];
  casbin?: { model: string; policy: string };
  /** The request's time (Casbin time-of-day models); now by default. */
  now: Date;
}

/** One DecisionTrace document per resource, and whether every request would be admitted. */
export async function explainOffline(o: OfflineExplainOptions): Promise<{ traces: Record<string, unknown>[]; admitted: boolean }> {
  const resources = o.resources.flatMap((f) => readManifestFile(f).map((s) => s.object));
  const old = o.old ? readManifestFile(o.old).map((s) => s.object) : [];
  if (o.old && (resources.length !== 1 || old.length !== 1)) throw new Error('--old explains an update of one object: give one resource and one old object');
  const inputs = o.policies.length > 0 ? evalInputs(o.policies) : { policies: [], bindings: [], params: [], namespaces: [] };
  const authorizer = await offlineAuthorizer({ rbac: o.rbac, ...(o.casbin ? { casbin: o.casbin } : {}), namespaces: inputs.namespaces, now: o.now });
  const admission = await OfflineAdmission.open(inputs, authorizer);
  const registry = new ResourceRegistry(builtinResources());
  const traces: Record<string, unknown>[] = [];
  let admitted = true;
  try {
    for (const object of resources) {
      const { group, version } = splitApiVersion(object.apiVersion);
      const def = registry.byKind(group, version, object.kind);
      if (!def) throw new Error(`${object.apiVersion}, Kind=${object.kind} is not a built-in kind (offline evaluation knows the built-in kinds only)`);
      const namespace = def.namespaced ? String(object.metadata.namespace || 'default') : '';
      const verb = old.length ? 'update' : 'create';
      const name = String(object.metadata.name);
      const base = `${group ? `/apis/${group}` : '/api'}/${version}${namespace ? `/namespaces/${namespace}` : ''}/${def.resource}`;
      const t: RequestTrace = { auditID: 'offline', received: o.now.getTime(), method: verb === 'create' ? 'POST' : 'PUT', url: verb === 'create' ? base : `${base}/${name}`, verb };
      t.user = o.user;
      t.authnResult = 'success';
      t.authnMethod = 'offline (--as)';
      t.authnMs = 0;
      const a: AuthzAttributes = { user: o.user, verb, isResourceRequest: true, path: t.url, apiGroup: group, apiVersion: version, namespace, resource: def.resource, subresource: '', name: verb === 'create' ? '' : name };
      let started = performance.now();
      t.authz = await authorizer.authorize(a);
      t.authzMs = performance.now() - started;
      const what = def.group ? `${def.resource}.${def.group}` : def.resource;
      if (t.authz.decision !== 'allow') {
        admitted = false;
        t.code = 403;
        t.status = { reason: 'Forbidden', message: `${what}${a.name ? ` "${a.name}"` : ''} is forbidden: ${forbiddenMessage(a)}${t.authz.reason ? `: ${t.authz.reason}` : ''}` };
        traces.push(renderTrace(t));
        continue;
      }
      started = performance.now();
      const verdicts = await admission.evaluate({ object, ...(old[0] ? { oldObject: old[0] } : {}), user: o.user });
      const denied = verdicts.find((v) => v.result === 'fail');
      t.admission = verdicts.map((v) => ({ plugin: `ValidatingAdmissionPolicy '${v.policy}'`, phase: 'validating', allowed: v.result !== 'fail', ...(v.result !== 'pass' ? { reason: `${v.result}: ${v.messages.join('; ')}` } : {}), durationMs: Math.round(v.durationMs * 1000) / 1000 }));
      if (denied) {
        admitted = false;
        t.code = denied.code ?? 403;
        t.status = { message: denied.messages[0] ?? '' };
      } else t.code = verb === 'create' ? 201 : 200;
      t.durationMs = t.authzMs + (performance.now() - started);
      traces.push(renderTrace(t));
    }
  } finally {
    await admission.close();
  }
  return { traces, admitted };
}
