/**
 * Upstream's ABAC policy file (pkg/auth/authorizer/abac NewFromFile): one JSON object per line,
 * blank and `#` lines skipped. Versioned lines are abac.authorization.kubernetes.io/v1beta1
 * Policies; lines with no apiVersion and no kind are the legacy v0 form, converted as upstream's
 * v0 conversion does. Everything is normalized to the internal spec the matcher reads.
 */
import { readFileSync } from 'node:fs';
import { GROUP_AUTHENTICATED } from '../authn/types.ts';

export const ABAC_GROUP_VERSION = 'abac.authorization.kubernetes.io/v1beta1';
const ABAC_V0 = 'abac.authorization.kubernetes.io/v0';

/** The internal (converted) policy spec; empty string means "not set". */
export interface AbacPolicySpec {
  user: string;
  group: string;
  readonly: boolean;
  apiGroup: string;
  resource: string;
  namespace: string;
  nonResourcePath: string;
}

export class AbacPolicyError extends Error {
  constructor(path: string, line: number, data: string, cause: string) {
    // Upstream's policyLoadError wording.
    super(line >= 0 ? `error reading policy file ${path}, line ${line}: ${data}: ${cause}` : `error reading policy file ${path}: ${cause}`);
    this.name = 'AbacPolicyError';
  }
}

export function loadAbacPolicyFile(path: string): AbacPolicySpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AbacPolicyError(path, -1, '', (err as Error).message);
  }
  return parseAbacPolicies(text, path);
}

export function parseAbacPolicies(text: string, path: string): AbacPolicySpec[] {
  const out: AbacPolicySpec[] = [];
  const lines = text.split('\n');
  // A final newline does not start another line (Go's bufio.Scanner).
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      out.push(parseLine(trimmed));
    } catch (err) {
      throw new AbacPolicyError(path, i + 1, line, (err as Error).message);
    }
  });
  return out;
}

function parseLine(line: string): AbacPolicySpec {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    throw new Error(`invalid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(obj)) throw new Error('a policy line must be a JSON object');
  const apiVersion = optString(obj, 'apiVersion');
  const kind = optString(obj, 'kind');
  if (apiVersion === '' && kind === '') return convertV0(obj);
  if (kind !== 'Policy') throw new Error(`unrecognized kind ${JSON.stringify(kind)} (want "Policy")`);
  if (apiVersion === ABAC_V0) return convertV0(obj);
  if (apiVersion !== ABAC_GROUP_VERSION) throw new Error(`unrecognized apiVersion ${JSON.stringify(apiVersion)} (want ${JSON.stringify(ABAC_GROUP_VERSION)})`);
  const spec = obj.spec === undefined || obj.spec === null ? {} : obj.spec;
  if (!isRecord(spec)) throw new Error('spec must be an object');
  return convertV1beta1(readFields(spec, ['apiGroup', 'nonResourcePath']));
}

function convertV1beta1(s: AbacPolicySpec): AbacPolicySpec {
  // v1beta1: a `*` user or group means every authenticated subject.
  if (s.user === '*' || s.group === '*') return { ...s, user: '', group: GROUP_AUTHENTICATED };
  return s;
}

function convertV0(obj: Record<string, unknown>): AbacPolicySpec {
  const v0 = readFields(obj, []);
  const s: AbacPolicySpec = { ...v0, apiGroup: '*', nonResourcePath: '' };
  if (v0.user === '' && v0.group === '') s.group = GROUP_AUTHENTICATED;
  if (v0.user === '*' || v0.group === '*') {
    s.group = GROUP_AUTHENTICATED;
    s.user = '';
  }
  if (v0.namespace === '') s.namespace = '*';
  if (v0.resource === '') s.resource = '*';
  // v0: no namespace and no resource also allows every non-resource path.
  if (v0.namespace === '' && v0.resource === '') s.nonResourcePath = '*';
  return s;
}

type StringField = 'user' | 'group' | 'apiGroup' | 'resource' | 'namespace' | 'nonResourcePath';

/** Reads the common fields; `extra` names the string fields only this version has. */
function readFields(o: Record<string, unknown>, extra: readonly StringField[]): AbacPolicySpec {
  const s: AbacPolicySpec = { user: '', group: '', readonly: false, apiGroup: '', resource: '', namespace: '', nonResourcePath: '' };
  for (const f of ['user', 'group', 'resource', 'namespace', ...extra] as const) s[f] = optString(o, f);
  const ro = o.readonly;
  if (ro !== undefined && ro !== null) {
    if (typeof ro !== 'boolean') throw new Error(`readonly must be a boolean, got ${JSON.stringify(ro)}`);
    s.readonly = ro;
  }
  return s;
}

function optString(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Error(`${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
