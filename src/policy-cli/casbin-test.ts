/**
 * A CasbinTest file of `portcullis policy test`: a Casbin model and policy (as the Casbin
 * authorization mode loads them, with the same strict checks) and requests with the decision
 * expected for each, allow, deny or no-opinion, and optionally the policy line that decides.
 * Decided by the mode's own engine (src/authz/casbin/engine.ts), so a test passes exactly when
 * the server would decide so. Read strictly, as PolicyTest files are.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import type { AuthzAttributes } from '../authz/types.ts';
import { casbinResult } from '../authz/casbin/authorizer.ts';
import { CasbinEngine } from '../authz/casbin/engine.ts';
import { loadCasbinModel } from '../authz/casbin/model.ts';
import { parsePolicy } from '../authz/casbin/policy.ts';
import { readManifestFile } from './manifests.ts';
import type { CaseOutcome } from './run-tests.ts';
import { TEST_API_VERSION } from './test-file.ts';

export const CASBIN_TEST_KIND = 'CasbinTest';
const DECISIONS = ['allow', 'deny', 'no-opinion'] as const;
type Expected = (typeof DECISIONS)[number];

const TOP = new Set(['apiVersion', 'kind', 'metadata', 'model', 'policy', 'namespaces', 'requests']);
const REQUEST_FIELDS = new Set(['user', 'groups', 'verb', 'group', 'resource', 'subresource', 'namespace', 'name', 'path', 'time', 'expect', 'line']);
const STRING_FIELDS = ['verb', 'group', 'resource', 'subresource', 'namespace', 'name', 'path'] as const;
const MAX_REQUESTS = 10_000;

interface CasbinCase {
  attrs: AuthzAttributes;
  now?: Date;
  expect: Expected;
  line?: number;
}

/** Whether a test file is a CasbinTest (otherwise it is read as a PolicyTest). */
export function isCasbinTest(file: string): boolean {
  const doc = parse(readFileSync(file, 'utf8')) as { kind?: unknown } | null;
  return !!doc && typeof doc === 'object' && doc.kind === CASBIN_TEST_KIND;
}

function parseCase(file: string, i: number, v: unknown, needsTime: boolean): CasbinCase {
  const where = `requests[${i}]`;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: ${where} must be an object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!REQUEST_FIELDS.has(k)) throw new Error(`${file}: unknown field "${where}.${k}"`);
  if (typeof o.user !== 'string' || !o.user) throw new Error(`${file}: ${where}.user is required`);
  const groups = o.groups ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) throw new Error(`${file}: ${where}.groups must be a list of strings`);
  for (const f of STRING_FIELDS) if (o[f] !== undefined && typeof o[f] !== 'string') throw new Error(`${file}: ${where}.${f} must be a string`);
  if (typeof o.verb !== 'string' || !o.verb) throw new Error(`${file}: ${where}.verb is required`);
  const path = (o.path as string | undefined) ?? '';
  if (!path === !o.resource) throw new Error(`${file}: ${where} needs exactly one of resource and path (a non-resource request)`);
  if (!DECISIONS.includes(o.expect as Expected)) throw new Error(`${file}: ${where}.expect must be one of ${DECISIONS.join(', ')}`);
  if (o.line !== undefined && (!Number.isInteger(o.line) || (o.line as number) < 1)) throw new Error(`${file}: ${where}.line must be a line number of the policy`);
  if (o.line !== undefined && o.expect === 'no-opinion') throw new Error(`${file}: ${where}.line: no line decides a no-opinion`);
  let now: Date | undefined;
  if (o.time !== undefined) {
    now = new Date(String(o.time));
    if (typeof o.time !== 'string' || Number.isNaN(now.getTime())) throw new Error(`${file}: ${where}.time must be an RFC 3339 time`);
  } else if (needsTime) throw new Error(`${file}: ${where}.time is required: the model reads the time of the request`);
  const s = (f: (typeof STRING_FIELDS)[number]): string => (o[f] as string | undefined) ?? '';
  const attrs: AuthzAttributes = { user: { username: o.user, groups: groups as string[] }, verb: s('verb'), isResourceRequest: !path, path, apiGroup: s('group'), apiVersion: '', namespace: s('namespace'), resource: s('resource'), subresource: s('subresource'), name: s('name') };
  return { attrs, ...(now ? { now } : {}), expect: o.expect as Expected, ...(o.line !== undefined ? { line: o.line as number } : {}) };
}

function describe(a: AuthzAttributes, now: Date | undefined): string {
  const at = now ? ` at ${now.toISOString().replace('.000Z', 'Z')}` : '';
  const who = `${a.user.username}${a.user.groups.length ? ` [${a.user.groups.join(',')}]` : ''}`;
  if (!a.isResourceRequest) return `${who} ${a.verb} ${a.path}${at}`;
  const res = `${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.apiGroup ? `.${a.apiGroup}` : ''}${a.name ? ` ${a.name}` : ''}`;
  return `${who} ${a.verb} ${res}${a.namespace ? ` -n ${a.namespace}` : ''}${at}`;
}

const lineNumber = (source: string): number => Number(source.slice(source.lastIndexOf(':') + 1));

/** Loads and runs one CasbinTest file: a case per request. A model or policy error fails the whole file. */
export async function runCasbinTest(file: string, cwd = process.cwd()): Promise<CaseOutcome[]> {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (doc.apiVersion !== TEST_API_VERSION) throw new Error(`${file}: apiVersion must be ${TEST_API_VERSION}`);
  for (const k of Object.keys(doc)) if (!TOP.has(k)) throw new Error(`${file}: unknown field "${k}"`);
  const dir = dirname(file);
  const at = (field: 'model' | 'policy'): string => {
    if (typeof doc[field] !== 'string' || !doc[field]) throw new Error(`${file}: ${field} (a file) is required`);
    return resolve(dir, doc[field] as string);
  };
  const [modelPath, policyPath] = [at('model'), at('policy')];
  const model = loadCasbinModel(readFileSync(modelPath, 'utf8'), relative(cwd, modelPath));
  const engine = await CasbinEngine.build(model, parsePolicy(readFileSync(policyPath, 'utf8'), relative(cwd, policyPath), model.shapes));
  const labels = new Map<string, Record<string, string>>();
  const nsFiles = doc.namespaces ?? [];
  if (!Array.isArray(nsFiles) || nsFiles.some((f) => typeof f !== 'string')) throw new Error(`${file}: namespaces must be a list of manifest files`);
  for (const f of nsFiles as string[]) {
    for (const { object } of readManifestFile(resolve(dir, f))) {
      if (object.kind !== 'Namespace') throw new Error(`${file}: namespaces: a ${object.kind} is not a Namespace`);
      labels.set(object.metadata?.name ?? '', object.metadata?.labels ?? {});
    }
  }
  const requests = doc.requests;
  if (!Array.isArray(requests) || requests.length === 0 || requests.length > MAX_REQUESTS) throw new Error(`${file}: requests must list 1 to ${MAX_REQUESTS} requests`);
  const needsTime = model.requestTokens.includes('time') || model.requestTokens.includes('weekday');
  const name = typeof (doc.metadata as { name?: unknown } | undefined)?.name === 'string' ? (doc.metadata as { name: string }).name : relative(cwd, file);
  return requests.map((r, i) => {
    const c = parseCase(file, i, r, needsTime);
    const d = engine.decide(c.attrs, { nsLabels: labels.get(c.attrs.namespace) ?? {}, now: c.now ?? new Date(0) });
    const got = d.line ? `${d.decision} ${d.line.source}` : d.decision;
    const ok = d.decision === c.expect && (c.line === undefined || (!!d.line && lineNumber(d.line.source) === c.line));
    const reason = casbinResult(d).reason;
    return { file, policy: name, resource: describe(c.attrs, c.now), want: c.line === undefined ? c.expect : `${c.expect} line ${c.line}`, got, ok, ...(reason ? { detail: reason } : {}) };
  });
}
