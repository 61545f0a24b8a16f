/**
 * `portcullis policy test`: every PolicyTest file's resources evaluated offline by the server's
 * ValidatingAdmissionPolicy plugin, each expected result checked; CasbinTest files' requests
 * decided by the Casbin mode's engine (casbin-test.ts). One line per case (a policy on
 * a resource), the failing ones with what was wanted and what came; the run fails (exit 1) on
 * any mismatch, including an expectation that names a policy or resource the test does not have.
 */
import { relative } from 'node:path';
import { isCasbinTest, runCasbinTest } from './casbin-test.ts';
import type { Obj } from './manifests.ts';
import { OfflineAdmission, type PolicyVerdict } from './offline-admission.ts';
import { offlineAuthorizer } from './offline-authorizer.ts';
import { findTestFiles, loadPolicyTest, type ExpectedResult, type PolicyTest } from './test-file.ts';

export interface CaseOutcome {
  file: string;
  policy: string;
  resource: string;
  want: string;
  got: string;
  ok: boolean;
  detail?: string;
}

const identity = (o: Obj): string => `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;

/** The resources an expectation names: "name" (any namespace) or "namespace/name", of its kind if given. */
function select(resources: Obj[], r: ExpectedResult, name: string): Obj[] {
  const slash = name.indexOf('/');
  const ns = slash < 0 ? undefined : name.slice(0, slash);
  const n = slash < 0 ? name : name.slice(slash + 1);
  return resources.filter((o) => o.metadata.name === n && (ns === undefined || (o.metadata.namespace || 'default') === ns) && (r.kind === undefined || o.kind === r.kind));
}

async function runOne(t: PolicyTest): Promise<CaseOutcome[]> {
  const admission = await OfflineAdmission.open(t.inputs, t.rbac.length > 0 ? await offlineAuthorizer({ rbac: t.rbac }) : undefined);
  const file = t.file;
  try {
    const known = new Set(admission.policyNames());
    const olds = new Map(t.oldResources.map((o) => [identity(o), o]));
    const verdicts = new Map<Obj, PolicyVerdict[]>();
    const verdictsOf = async (o: Obj): Promise<PolicyVerdict[]> => {
      let v = verdicts.get(o);
      if (!v) {
        const oldObject = olds.get(identity(o));
        verdicts.set(o, (v = await admission.evaluate({ object: o, ...(oldObject ? { oldObject } : {}), ...(t.user ? { user: t.user } : {}) })));
      }
      return v;
    };
    const out: CaseOutcome[] = [];
    for (const r of t.results) {
      for (const name of r.resources) {
        const base = { file, policy: r.policy, want: r.result + (r.message !== undefined ? ` "${r.message}"` : '') };
        if (!known.has(r.policy)) {
          out.push({ ...base, resource: name, got: 'error', ok: false, detail: `no ValidatingAdmissionPolicy "${r.policy}" in this test` });
          continue;
        }
        const matches = select(t.resources, r, name);
        if (matches.length !== 1) {
          out.push({ ...base, resource: `${r.kind ?? ''} ${name}`.trim(), got: 'error', ok: false, detail: matches.length === 0 ? 'no such resource in this test' : `${matches.length} resources match; give kind or namespace/name` });
          continue;
        }
        const o = matches[0]!;
        const v = (await verdictsOf(o)).find((x) => x.policy === r.policy)!;
        const messageOk = r.message === undefined || v.messages.some((m) => m.includes(r.message!));
        const ok = v.result === r.result && messageOk;
        out.push({ ...base, resource: admission.describe(o), got: v.result, ok, ...(v.messages.length ? { detail: v.messages.join('\n') } : {}) });
      }
    }
    return out;
  } finally {
    await admission.close();
  }
}

export interface RunSummary {
  cases: CaseOutcome[];
  failed: number;
}

export async function runPolicyTests(path: string, cwd = process.cwd()): Promise<RunSummary> {
  const cases: CaseOutcome[] = [];
  for (const f of findTestFiles(path)) cases.push(...(isCasbinTest(f) ? await runCasbinTest(f, cwd) : await runOne(loadPolicyTest(f))));
  return { cases, failed: cases.filter((c) => !c.ok).length };
}

/** Text output: a block per test file, a line per case, details under the failing ones. */
export function formatRun(s: RunSummary, cwd: string): string {
  const lines: string[] = [];
  let file = '';
  for (const c of s.cases) {
    if (c.file !== file) lines.push(`${relative(cwd, (file = c.file)) || c.file}`);
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.policy}  ${c.resource}  ${c.ok ? c.got : `want ${c.want}, got ${c.got}`}`);
    if (!c.ok && c.detail) for (const d of c.detail.split('\n')) lines.push(`        ${d}`);
  }
  lines.push(`${s.cases.length} cases: ${s.cases.length - s.failed} passed, ${s.failed} failed`);
  return `${lines.join('\n')}\n`;
}
