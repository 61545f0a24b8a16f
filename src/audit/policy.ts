/**
 * Reads and validates an audit.k8s.io/v1 Policy (k8s.io/apiserver/pkg/audit/policy/reader.go and
 * pkg/apis/audit/validation). A bad file is refused when the server starts, never on a request.
 *
 * Stricter than upstream in one way: upstream decodes leniently after a strict-decoding error (an
 * unknown field only logs a warning); here an unknown field is refused by name, since a misspelt
 * `omitStage` or `resourceName` would otherwise make the policy record less than it says.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LEVELS, STAGES, type GroupResources, type Level, type Policy, type PolicyRule, type Stage } from './types.ts';
import { aggregateMessage } from '../util/aggregate-error.ts';

export class AuditPolicyError extends Error {}

const POLICY_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'rules', 'omitStages', 'omitManagedFields']);
const RULE_KEYS = new Set(['level', 'users', 'userGroups', 'verbs', 'resources', 'namespaces', 'nonResourceURLs', 'omitStages', 'omitManagedFields']);
const GR_KEYS = new Set(['group', 'resources', 'resourceNames']);
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuditPolicyError(`audit policy file ${path}: ${(err as Error).message}`);
  }
  try {
    return parsePolicy(text);
  } catch (err) {
    throw new AuditPolicyError(`audit policy file ${path}: ${(err as Error).message}`);
  }
}

/** YAML or JSON text (JSON is YAML) to a validated Policy. */
export function parsePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AuditPolicyError(`failed decoding: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new AuditPolicyError('failed decoding: not an object');
  if (doc.apiVersion !== 'audit.k8s.io/v1' || doc.kind !== 'Policy') {
    throw new AuditPolicyError(`unknown group version field ${JSON.stringify(`${String(doc.apiVersion ?? '')}, Kind=${String(doc.kind ?? '')}`)} in policy (want audit.k8s.io/v1, Kind=Policy)`);
  }
  const errs: string[] = [];
  unknownKeys(doc, POLICY_KEYS, '', errs);
  const policy: Policy = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [] };
  const omit = stages(doc.omitStages, 'omitStages', errs);
  if (omit) policy.omitStages = omit;
  if (doc.omitManagedFields !== undefined) policy.omitManagedFields = bool(doc.omitManagedFields, 'omitManagedFields', errs);
  if (doc.rules !== undefined && doc.rules !== null && !Array.isArray(doc.rules)) errs.push('rules: Invalid value: must be a list');
  const rules = Array.isArray(doc.rules) ? doc.rules : [];
  rules.forEach((r, i) => {
    const rule = parseRule(r, `rules[${i}]`, errs);
    if (rule) policy.rules.push(rule);
  });
  const err = aggregateMessage(errs);
  if (err !== undefined) throw new AuditPolicyError(err);
  if (policy.rules.length === 0) throw new AuditPolicyError('loaded illegal policy with 0 rules');
  return policy;
}

function parseRule(r: unknown, path: string, errs: string[]): PolicyRule | undefined {
  if (!isObject(r)) {
    errs.push(`${path}: Invalid value: must be an object`);
    return undefined;
  }
  unknownKeys(r, RULE_KEYS, `${path}.`, errs);
  let level: Level = 'None';
  if (r.level === undefined || r.level === '') errs.push(`${path}.level: Required value`);
  else if (!(LEVELS as readonly unknown[]).includes(r.level)) errs.push(`${path}.level: Unsupported value: ${JSON.stringify(r.level)}: supported values: ${[...LEVELS].sort().map((l) => JSON.stringify(l)).join(', ')}`);
  else level = r.level as Level;
  const rule: PolicyRule = { level };
  for (const k of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
    const v = strings(r[k], `${path}.${k}`, errs);
    if (v) rule[k] = v;
  }
  (rule.nonResourceURLs ?? []).forEach((url, i) => {
    if (url === '*') return;
    if (!url.startsWith('/')) errs.push(`${path}.nonResourceURLs[${i}]: Invalid value: ${JSON.stringify(url)}: non-resource URL rules must begin with a '/' character`);
    if (url !== '' && url.slice(0, -1).includes('*')) errs.push(`${path}.nonResourceURLs[${i}]: Invalid value: ${JSON.stringify(url)}: non-resource URL wildcards '*' must be the final character of the rule`);
  });
  if (r.resources !== undefined && r.resources !== null) {
    if (!Array.isArray(r.resources)) errs.push(`${path}.resources: Invalid value: must be a list`);
    else rule.resources = r.resources.map((g, i) => parseGroupResources(g, `${path}.resources`, i, errs));
  }
  const omit = stages(r.omitStages, `${path}.omitStages`, errs);
  if (omit) rule.omitStages = omit;
  if (r.omitManagedFields !== undefined && r.omitManagedFields !== null) rule.omitManagedFields = bool(r.omitManagedFields, `${path}.omitManagedFields`, errs);
  if ((rule.nonResourceURLs?.length ?? 0) > 0 && ((rule.resources?.length ?? 0) > 0 || (rule.namespaces?.length ?? 0) > 0)) {
    errs.push(`${path}.nonResourceURLs: Invalid value: ${JSON.stringify(rule.nonResourceURLs)}: rules cannot apply to both regular resources and non-resource URLs`);
  }
  return rule;
}

function parseGroupResources(g: unknown, path: string, i: number, errs: string[]): GroupResources {
  if (!isObject(g)) {
    errs.push(`${path}[${i}]: Invalid value: must be an object`);
    return {};
  }
  unknownKeys(g, GR_KEYS, `${path}[${i}].`, errs);
  const out: GroupResources = {};
  if (g.group !== undefined && g.group !== null) {
    if (typeof g.group !== 'string') errs.push(`${path}.group: Invalid value: must be a string`);
    else {
      out.group = g.group;
      // The empty string is the core group; any other must be a lower-case DNS subdomain.
      if (g.group !== '' && (g.group.length > 253 || !DNS1123_SUBDOMAIN.test(g.group))) {
        errs.push(`${path}.group: Invalid value: ${JSON.stringify(g.group)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`);
      }
    }
  }
  const resources = strings(g.resources, `${path}[${i}].resources`, errs);
  if (resources) out.resources = resources;
  const names = strings(g.resourceNames, `${path}[${i}].resourceNames`, errs);
  if (names) out.resourceNames = names;
  if ((names?.length ?? 0) > 0 && (resources?.length ?? 0) === 0) {
    errs.push(`${path}.resourceNames: Invalid value: ${JSON.stringify(names)}: using resourceNames requires at least one resource`);
  }
  return out;
}

function stages(v: unknown, path: string, errs: string[]): Stage[] | undefined {
  const list = strings(v, path, errs);
  if (!list) return undefined;
  list.forEach((s, i) => {
    if (!(STAGES as readonly string[]).includes(s)) errs.push(`${path}[${i}]: Unsupported value: ${JSON.stringify(s)}: supported values: ${[...STAGES].sort().map((x) => JSON.stringify(x)).join(', ')}`);
  });
  return list as Stage[];
}

function strings(v: unknown, path: string, errs: string[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    errs.push(`${path}: Invalid value: must be a list of strings`);
    return undefined;
  }
  return [...v];
}

function bool(v: unknown, path: string, errs: string[]): boolean {
  if (typeof v !== 'boolean') errs.push(`${path}: Invalid value: must be true or false`);
  return v === true;
}

function unknownKeys(o: Record<string, unknown>, known: Set<string>, prefix: string, errs: string[]): void {
  for (const k of Object.keys(o)) if (!known.has(k)) errs.push(`${prefix}${k}: unknown field`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
