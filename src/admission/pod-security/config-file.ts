/**
 * The PodSecurity section of --admission-control-config-file: an AdmissionConfiguration whose
 * PodSecurity entry holds (inline, or in a file named by `path`) a PodSecurityConfiguration with
 * defaults and exemptions. Decoding is strict as upstream's: an unknown field, a wrong kind or
 * version, an unknown level or a bad version fails start-up with a message naming it.
 */
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/validation/names.ts';
import { readAdmissionPluginConfig } from '../plugin-config-file.ts';
import { DEFAULT_POD_SECURITY_CONFIG, type PodSecurityConfig } from '../plugins/pod-security.ts';
import { goQuote } from './format.ts';
import { parseLevel, parseVersion, type LevelVersion } from './labels.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';

type Obj = Record<string, any>;

const POD_SECURITY_VERSIONS = ['pod-security.admission.config.k8s.io/v1', 'pod-security.admission.config.k8s.io/v1beta1', 'pod-security.admission.config.k8s.io/v1alpha1'];

/** The fields each object may have; anything else is a strict-decoding error. */
const CONFIG_FIELDS = ['apiVersion', 'kind', 'defaults', 'exemptions'];
const DEFAULTS_FIELDS = ['enforce', 'enforce-version', 'audit', 'audit-version', 'warn', 'warn-version'];
const EXEMPTIONS_FIELDS = ['usernames', 'runtimeClasses', 'namespaces'];

export class PodSecurityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PodSecurityConfigError';
  }
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownFields(o: Obj, allowed: readonly string[], prefix: string): string[] {
  return Object.keys(o).filter((k) => !allowed.includes(k)).map((k) => `unknown field ${goQuote(prefix + k)}`);
}

function checkTypeMeta(o: Obj, kind: string, versions: readonly string[], where: string): void {
  if (o.kind !== kind || !versions.includes(o.apiVersion)) {
    throw new PodSecurityConfigError(`${where}: expected kind ${kind} with apiVersion ${versions[0]}, got kind ${goQuote(String(o.kind ?? ''))} apiVersion ${goQuote(String(o.apiVersion ?? ''))}`);
  }
}

function stringList(v: unknown, path: string, errs: string[]): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    errs.push(`${path}: Invalid value: must be a list of strings`);
    return [];
  }
  return v as string[];
}

/** Upstream validateList: each item checked, duplicates reported. */
function validateList(list: readonly string[], path: string, validate: (v: string) => string[], errs: string[]): void {
  const seen = new Set<string>();
  list.forEach((v, i) => {
    for (const msg of validate(v)) errs.push(`${path}[${i}]: Invalid value: ${goQuote(v)}: ${msg}`);
    if (seen.has(v)) errs.push(`${path}[${i}]: Duplicate value: ${goQuote(v)}`);
    seen.add(v);
  });
}

/** Validates and converts a decoded PodSecurityConfiguration object. */
export function podSecurityConfigFrom(o: unknown, where: string): PodSecurityConfig {
  if (!isObject(o)) throw new PodSecurityConfigError(`${where}: PodSecurityConfiguration must be an object`);
  checkTypeMeta(o, 'PodSecurityConfiguration', POD_SECURITY_VERSIONS, where);
  const defaults: unknown = o.defaults ?? {};
  const exemptions: unknown = o.exemptions ?? {};
  const strict = [...unknownFields(o, CONFIG_FIELDS, '')];
  if (!isObject(defaults)) throw new PodSecurityConfigError(`${where}: defaults must be an object`);
  if (!isObject(exemptions)) throw new PodSecurityConfigError(`${where}: exemptions must be an object`);
  strict.push(...unknownFields(defaults, DEFAULTS_FIELDS, 'defaults.'), ...unknownFields(exemptions, EXEMPTIONS_FIELDS, 'exemptions.'));
  if (strict.length > 0) throw new PodSecurityConfigError(`${where}: strict decoding error: ${strict.join(', ')}`);

  const errs: string[] = [];
  const mode = (m: 'enforce' | 'audit' | 'warn'): LevelVersion => {
    const level = defaults[m] ?? 'privileged';
    const version = defaults[`${m}-version`] ?? 'latest';
    const l = parseLevel(String(level));
    const v = parseVersion(String(version));
    if (l.error) errs.push(`defaults.${m}: Invalid value: ${goQuote(String(level))}: ${l.error}`);
    if (v.error) errs.push(`defaults.${m}-version: Invalid value: ${goQuote(String(version))}: ${v.error}`);
    return { level: l.value, version: v.value };
  };
  const policy = { enforce: mode('enforce'), audit: mode('audit'), warn: mode('warn') };
  const usernames = stringList(exemptions.usernames, 'exemptions.usernames', errs);
  const runtimeClasses = stringList(exemptions.runtimeClasses, 'exemptions.runtimeClasses', errs);
  const namespaces = stringList(exemptions.namespaces, 'exemptions.namespaces', errs);
  validateList(usernames, 'exemptions.usernames', (v) => (v.trim() === '' ? ['must be non-empty'] : []), errs);
  validateList(runtimeClasses, 'exemptions.runtimeClasses', isDNS1123Subdomain, errs);
  validateList(namespaces, 'exemptions.namespaces', isDNS1123Label, errs);
  const err = aggregateMessage(errs);
  if (err !== undefined) throw new PodSecurityConfigError(`${where}: invalid PodSecurityConfiguration: ${err}`);
  return { defaults: policy, exemptions: { usernames, runtimeClasses, namespaces } };
}

/**
 * Reads an AdmissionConfiguration file and returns its PodSecurity configuration, or upstream's
 * defaults (privileged:latest everywhere, nothing exempt) when it has no PodSecurity entry.
 */
export function loadPodSecurityConfig(path: string): PodSecurityConfig {
  const entry = readAdmissionPluginConfig(path, 'PodSecurity');
  return entry ? podSecurityConfigFrom(entry.config, entry.where) : structuredClone(DEFAULT_POD_SECURITY_CONFIG);
}
