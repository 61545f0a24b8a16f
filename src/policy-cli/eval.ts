/**
 * `portcullis policy eval -f RESOURCES --policy FILE...`: each resource (a CREATE) under each
 * policy, evaluated offline by the server's plugin. Policy files may also hold bindings, params
 * and namespaces; a policy that no binding names is evaluated through an implicit Deny binding
 * with no matchResources (named "<policy>-eval"), so a bare policy file is enough to try it.
 */
import { readManifestFile, type Obj } from './manifests.ts';
import { OfflineAdmission, type OfflineInputs, type PolicyVerdict } from './offline-admission.ts';
import { offlineAuthorizer } from './offline-authorizer.ts';

export interface EvalRow extends Omit<PolicyVerdict, 'durationMs'> {
  resource: string;
}

export function evalInputs(policyFiles: string[]): OfflineInputs {
  const inputs: OfflineInputs = { policies: [], bindings: [], params: [], namespaces: [] };
  for (const { object: o } of policyFiles.flatMap((f) => readManifestFile(f))) {
    if (o.kind === 'ValidatingAdmissionPolicy') inputs.policies.push(o);
    else if (o.kind === 'ValidatingAdmissionPolicyBinding') inputs.bindings.push(o);
    else if (o.kind === 'Namespace' && o.apiVersion === 'v1') inputs.namespaces.push(o);
    else inputs.params.push(o);
  }
  if (inputs.policies.length === 0) throw new Error('no ValidatingAdmissionPolicy in the --policy files');
  const bound = new Set(inputs.bindings.map((b) => b.spec?.policyName));
  for (const p of inputs.policies) {
    const name = p.metadata.name as string;
    if (bound.has(name)) continue;
    inputs.bindings.push({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: `${name}-eval` }, spec: { policyName: name, validationActions: ['Deny'] } });
  }
  return inputs;
}

/** `rbacFiles`: Roles and bindings the policies' `authorizer` checks are decided by (none: every check is denied). */
export async function evalPolicies(resourceFiles: string[], policyFiles: string[], rbacFiles: string[] = []): Promise<EvalRow[]> {
  const resources: Obj[] = resourceFiles.flatMap((f) => readManifestFile(f).map((s) => s.object));
  const admission = await OfflineAdmission.open(evalInputs(policyFiles), rbacFiles.length > 0 ? await offlineAuthorizer({ rbac: rbacFiles }) : undefined);
  try {
    const rows: EvalRow[] = [];
    for (const o of resources) {
      const resource = admission.describe(o);
      // The time is for `policy explain`; eval's output stays the same from run to run.
      for (const { durationMs: _, ...v } of await admission.evaluate({ object: o })) rows.push({ resource, ...v });
    }
    return rows;
  } finally {
    await admission.close();
  }
}

export function formatEval(rows: EvalRow[]): string {
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(`${r.resource}  ${r.policy}  ${r.result}`);
    for (const m of r.messages) lines.push(`    ${m}`);
  }
  return `${lines.join('\n')}\n`;
}
