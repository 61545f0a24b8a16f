/**
 * The PolicyTest file of `portcullis policy test` (in the spirit of kyverno-test.yaml): which
 * manifest files hold the policies, bindings, params and resources, and the result expected for
 * each resource under each policy. Read strictly: an unknown field or a bad value is refused by
 * name, since a misspelt expectation would otherwise pass by never being checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { UserInfo } from '../authn/types.ts';
import { readManifestFile, type Obj } from './manifests.ts';
import type { OfflineInputs, PolicyResult } from './offline-admission.ts';

export const TEST_FILE_NAME = 'portcullis-test.yaml';
export const TEST_API_VERSION = 'cli.portcullis.dev/v1alpha1';
const RESULTS: readonly PolicyResult[] = ['pass', 'fail', 'warn', 'audit'];
const MAX_TEST_FILES = 1000;

export interface ExpectedResult {
  policy: string;
  /** Resource names, or namespace/name. */
  resources: string[];
  kind?: string;
  result: PolicyResult;
  /** A substring that one of the reported messages must contain. */
  message?: string;
}

export interface PolicyTest {
  file: string;
  name: string;
  inputs: OfflineInputs;
  resources: Obj[];
  oldResources: Obj[];
  user?: UserInfo;
  /** RBAC manifests (resolved paths) the policies' `authorizer` checks are decided by. */
  rbac: string[];
  results: ExpectedResult[];
}

const TOP = new Set(['apiVersion', 'kind', 'metadata', 'policies', 'bindings', 'params', 'resources', 'oldResources', 'rbac', 'user', 'results']);
const RESULT_FIELDS = new Set(['policy', 'resources', 'kind', 'result', 'message']);

function strings(file: string, field: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) throw new Error(`${file}: ${field} must be a list of non-empty strings`);
  return v as string[];
}

function unknownFields(file: string, where: string, o: Record<string, unknown>, known: Set<string>): void {
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`${file}: unknown field "${where}${k}"`);
}

function parseResult(file: string, i: number, r: unknown): ExpectedResult {
  const where = `results[${i}]`;
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw new Error(`${file}: ${where} must be an object`);
  const o = r as Record<string, unknown>;
  unknownFields(file, `${where}.`, o, RESULT_FIELDS);
  if (typeof o.policy !== 'string' || !o.policy) throw new Error(`${file}: ${where}.policy is required`);
  if (!RESULTS.includes(o.result as PolicyResult)) throw new Error(`${file}: ${where}.result must be one of ${RESULTS.join(', ')}`);
  const resources = strings(file, `${where}.resources`, o.resources);
  if (resources.length === 0) throw new Error(`${file}: ${where}.resources must name at least one resource`);
  if (o.kind !== undefined && (typeof o.kind !== 'string' || !o.kind)) throw new Error(`${file}: ${where}.kind must be a string`);
  if (o.message !== undefined && typeof o.message !== 'string') throw new Error(`${file}: ${where}.message must be a string`);
  return {
    policy: o.policy,
    resources,
    result: o.result as PolicyResult,
    ...(o.kind !== undefined ? { kind: o.kind as string } : {}),
    ...(o.message !== undefined ? { message: o.message as string } : {}),
  };
}

function parseUser(file: string, u: unknown): UserInfo | undefined {
  if (u === undefined) return undefined;
  const o = u as Record<string, unknown>;
  if (!o || typeof o !== 'object' || typeof o.username !== 'string' || !o.username) throw new Error(`${file}: user.username is required`);
  unknownFields(file, 'user.', o, new Set(['username', 'groups']));
  return { username: o.username, groups: strings(file, 'user.groups', o.groups) };
}

/** Reads one test file and the manifests it names (paths relative to the test file). */
export function loadPolicyTest(file: string): PolicyTest {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new Error(`${file}: not a ${TEST_API_VERSION} PolicyTest`);
  if (doc.apiVersion !== TEST_API_VERSION || doc.kind !== 'PolicyTest') throw new Error(`${file}: apiVersion must be ${TEST_API_VERSION} and kind PolicyTest`);
  unknownFields(file, '', doc, TOP);
  const dir = dirname(file);
  const read = (field: string): Obj[] => strings(file, field, doc[field]).flatMap((f) => readManifestFile(resolve(dir, f)).map((s) => s.object));
  const inputs: OfflineInputs = { policies: [], bindings: [], params: [], namespaces: [] };
  for (const o of read('policies')) {
    if (o.kind === 'ValidatingAdmissionPolicy') inputs.policies.push(o);
    else if (o.kind === 'ValidatingAdmissionPolicyBinding') inputs.bindings.push(o);
    else throw new Error(`${file}: policies: a ${o.kind} is neither a ValidatingAdmissionPolicy nor a binding (list it under params or resources)`);
  }
  for (const o of read('bindings')) {
    if (o.kind !== 'ValidatingAdmissionPolicyBinding') throw new Error(`${file}: bindings: a ${o.kind} is not a ValidatingAdmissionPolicyBinding`);
    inputs.bindings.push(o);
  }
  for (const o of read('params')) (o.kind === 'Namespace' && o.apiVersion === 'v1' ? inputs.namespaces : inputs.params).push(o);
  const resources = read('resources');
  for (const o of resources) if (o.kind === 'Namespace' && o.apiVersion === 'v1') inputs.namespaces.push(o);
  if (inputs.policies.length === 0) throw new Error(`${file}: no ValidatingAdmissionPolicy under policies`);
  const results = doc.results;
  if (!Array.isArray(results) || results.length === 0) throw new Error(`${file}: results must list at least one expected result`);
  const meta = doc.metadata as { name?: unknown } | undefined;
  const user = parseUser(file, doc.user);
  return {
    file,
    name: typeof meta?.name === 'string' ? meta.name : file,
    inputs,
    resources,
    oldResources: read('oldResources'),
    rbac: strings(file, 'rbac', doc.rbac).map((f) => resolve(dir, f)),
    ...(user ? { user } : {}),
    results: results.map((r, i) => parseResult(file, i, r)),
  };
}

/** DIR's test files (every portcullis-test.yaml under it, in path order), or the file itself. */
export function findTestFiles(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name === TEST_FILE_NAME) out.push(p);
      if (out.length > MAX_TEST_FILES) throw new Error(`more than ${MAX_TEST_FILES} test files under ${path}`);
    }
  };
  walk(path);
  if (out.length === 0) throw new Error(`no ${TEST_FILE_NAME} under ${path}`);
  return out;
}
