/**
 * The ResourceQuota plugin's entry of an --admission-control-config-file, as upstream's
 * resourcequota.admission.k8s.io Configuration (v1, v1beta1, v1alpha1): `limitedResources`
 * (./limited-resources.ts). Decoded strictly: a wrong kind or version, an unknown field or a
 * limited resource without `resource` fails at start, naming it.
 */
import { readAdmissionPluginConfig } from '../plugin-config-file.ts';
import type { LimitedResource } from './limited-resources.ts';
import type { ScopeSelector } from './evaluators.ts';

export interface ResourceQuotaConfig {
  limitedResources: LimitedResource[];
}

const VERSIONS = ['resourcequota.admission.k8s.io/v1', 'resourcequota.admission.k8s.io/v1beta1', 'resourcequota.admission.k8s.io/v1alpha1'];
const SCOPE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function unknownFields(o: Obj, allowed: string[], at: string): string[] {
  return Object.keys(o).filter((k) => !allowed.includes(k)).map((k) => `unknown field "${at}${k}"`);
}

/** The configuration document decoded; `where` names it in messages. */
export function resourceQuotaConfigFrom(doc: unknown, where: string): ResourceQuotaConfig {
  if (!isObject(doc) || doc.kind !== 'Configuration' || !VERSIONS.includes(String(doc.apiVersion))) {
    throw new Error(`${where}: expected kind Configuration with apiVersion ${VERSIONS[1]}`);
  }
  const errs = unknownFields(doc, ['apiVersion', 'kind', 'limitedResources'], '');
  const list = doc.limitedResources ?? [];
  if (!Array.isArray(list)) throw new Error(`${where}: limitedResources must be a list`);
  const limitedResources: LimitedResource[] = [];
  list.forEach((l, i) => {
    const at = `limitedResources[${i}]`;
    if (!isObject(l)) return void errs.push(`${at}: must be an object`);
    errs.push(...unknownFields(l, ['apiGroup', 'resource', 'matchContains', 'matchScopes'], `${at}.`));
    if (typeof l.resource !== 'string' || l.resource === '') errs.push(`${at}.resource: Required value`);
    if (l.apiGroup !== undefined && typeof l.apiGroup !== 'string') errs.push(`${at}.apiGroup: must be a string`);
    if (l.matchContains !== undefined && !strings(l.matchContains)) errs.push(`${at}.matchContains: must be a list of strings`);
    const scopes: ScopeSelector[] = [];
    const rawScopes = l.matchScopes ?? [];
    if (!Array.isArray(rawScopes)) errs.push(`${at}.matchScopes: must be a list`);
    else rawScopes.forEach((s, j) => {
      const sat = `${at}.matchScopes[${j}]`;
      if (!isObject(s)) return void errs.push(`${sat}: must be an object`);
      errs.push(...unknownFields(s, ['scopeName', 'operator', 'values'], `${sat}.`));
      if (typeof s.scopeName !== 'string' || s.scopeName === '') errs.push(`${sat}.scopeName: Required value`);
      if (!SCOPE_OPERATORS.includes(String(s.operator))) errs.push(`${sat}.operator: Unsupported value: ${JSON.stringify(s.operator ?? '')}: supported values: "In", "NotIn", "Exists", "DoesNotExist"`);
      if (s.values !== undefined && !strings(s.values)) errs.push(`${sat}.values: must be a list of strings`);
      scopes.push({ scopeName: String(s.scopeName), operator: String(s.operator), ...(strings(s.values) ? { values: [...s.values] } : {}) });
    });
    limitedResources.push({
      apiGroup: typeof l.apiGroup === 'string' ? l.apiGroup : '',
      resource: String(l.resource ?? ''),
      matchContains: strings(l.matchContains) ? [...l.matchContains] : [],
      matchScopes: scopes,
    });
  });
  if (errs.length > 0) throw new Error(`${where}: ${errs.join(', ')}`);
  return { limitedResources };
}

/** The ResourceQuota configuration of an AdmissionConfiguration file; none limited without an entry. */
export function loadResourceQuotaConfig(path: string): ResourceQuotaConfig {
  const entry = readAdmissionPluginConfig(path, 'ResourceQuota');
  return entry ? resourceQuotaConfigFrom(entry.config, entry.where) : { limitedResources: [] };
}
