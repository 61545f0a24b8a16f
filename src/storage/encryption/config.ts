/**
 * kube-apiserver's --encryption-provider-config: an EncryptionConfiguration
 * (apiserver.config.k8s.io/v1), decoded and validated as upstream does
 * (apis/apiserver/validation/validation_encryption.go, server/options/encryptionconfig/config.go),
 * with upstream's error texts, so a file that kube-apiserver refuses is refused here too.
 *
 * KMS providers of apiVersion v2 talk to their plugin (kms/kms-v2-provider.ts); v1 is refused with
 * upstream's message for KMSv1 turned off (its feature gate is off by default since 1.29, and
 * Portcullis has no such gate).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseConfigYaml } from '../../util/config-yaml.ts';
import { DurationError, parseGoDuration } from '../../util/duration.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';

export type CipherName = 'aescbc' | 'aesgcm' | 'secretbox';

export interface EncryptionKey {
  name: string;
  secret: Buffer;
}

/** A KMS v2 plugin: its name (in the stored prefix), unix socket and per-call timeout. */
export interface KmsProviderConfig {
  type: 'kms';
  name: string;
  endpoint: string;
  timeoutMs: number;
}

export type ProviderConfig = { type: 'identity' } | { type: CipherName; keys: EncryptionKey[] } | KmsProviderConfig;

export interface GroupResource {
  group: string;
  resource: string;
}

export interface ResourceRule {
  resources: GroupResource[];
  providers: ProviderConfig[];
}

export interface EncryptionConfig {
  rules: ResourceRule[];
}

export class EncryptionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionConfigError';
  }
}

const API_VERSION = 'apiserver.config.k8s.io/v1';
const KIND = 'EncryptionConfiguration';
const AES_KEY_SIZES = [16, 24, 32];
const SECRETBOX_KEY_SIZES = [32];
const PROVIDER_NAMES = ['kms', 'aesgcm', 'aescbc', 'secretbox', 'identity'] as const;

/** schema.ParseGroupResource: the resource is before the first dot, the group after it. */
export function parseGroupResource(s: string): GroupResource {
  const i = s.indexOf('.');
  return i < 0 ? { group: '', resource: s } : { group: s.slice(i + 1), resource: s.slice(0, i) };
}

/** How upstream prints a group resource in its masking error (grYAMLString). */
function grString(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

const goInts = (xs: number[]) => `[${xs.join(' ')}]`;
const shown = (v: unknown) => JSON.stringify(v);

/** Reads and validates the file; throws EncryptionConfigError with upstream's wording. */
export function loadEncryptionConfig(path: string): EncryptionConfig {
  return decodeEncryptionConfig(readEncryptionConfigFile(path).data, path);
}

/**
 * The file's text and upstream's hash of it (computeEncryptionConfigHash): what the automatic
 * reload compares, so the keys themselves are never kept outside their transformers.
 */
export function readEncryptionConfigFile(path: string): { data: string; hash: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new EncryptionConfigError(`error while parsing file: error while loading file: error reading encryption provider configuration file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  if (bytes.length === 0) throw new EncryptionConfigError(`error while parsing file: error while loading file: encryption provider configuration file ${JSON.stringify(path)} is empty`);
  return { data: bytes.toString('utf8'), hash: `k8s:enc:unstable:1:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** Decodes and validates the text of the file at `path`. */
export function decodeEncryptionConfig(data: string, path: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parseConfigYaml(data);
  } catch (err) {
    throw new EncryptionConfigError(`error while parsing file: error decoding encryption provider configuration file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  return parseEncryptionConfig(doc, path);
}

/** Validates a decoded document (YAML or JSON). */
export function parseEncryptionConfig(doc: unknown, source = 'config'): EncryptionConfig {
  const fail = (m: string) => new EncryptionConfigError(`error while parsing file: ${m}`);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw fail(`error decoding encryption provider configuration file ${JSON.stringify(source)}: not an object`);
  const o = doc as Record<string, unknown>;
  if (typeof o.kind !== 'string' || o.kind === '') throw fail(`error decoding encryption provider configuration file ${JSON.stringify(source)}: Object 'Kind' is missing`);
  if (o.apiVersion !== API_VERSION || o.kind !== KIND) {
    throw fail(`error decoding encryption provider configuration file ${JSON.stringify(source)}: no kind ${JSON.stringify(o.kind)} is registered for version ${JSON.stringify(o.apiVersion ?? '')}`);
  }
  const errs: string[] = [];
  const rules = validate(o.resources, errs);
  const err = aggregateMessage(errs);
  if (err !== undefined) throw fail(err);
  checkMasking(rules);
  return { rules: rules.map((r) => ({ resources: r.resources.map(parseGroupResource), providers: r.providers })) };
}

interface RawRule {
  resources: string[];
  providers: ProviderConfig[];
}

function validate(resources: unknown, errs: string[]): RawRule[] {
  if (!Array.isArray(resources) || resources.length === 0) {
    errs.push('resources: Required value: at least one resources is required');
    return [];
  }
  const out: RawRule[] = [];
  // KMS provider names are unique across the file (they name the stored values' prefix).
  const kmsNames = new Set<string>();
  resources.forEach((conf: unknown, i) => {
    const c = (conf ?? {}) as Record<string, unknown>;
    const r = `resources[${i}].resources`;
    const p = `resources[${i}].providers`;
    const names = Array.isArray(c.resources) ? c.resources.map((x) => String(x)) : [];
    if (names.length === 0) errs.push(`${r}: Required value: at least one ${r} is required`);
    validateOverlap(names, r, errs);
    validateResourceNames(names, r, errs);
    const providers = Array.isArray(c.providers) ? (c.providers as unknown[]) : [];
    if (providers.length === 0) errs.push(`${p}: Required value: at least one ${p} is required`);
    const parsed: ProviderConfig[] = [];
    providers.forEach((prov, j) => {
      const cfg = validateProvider(prov, `${p}[${j}]`, errs, kmsNames);
      if (cfg) parsed.push(cfg);
    });
    out.push({ resources: names, providers: parsed });
  });
  return out;
}

function validateOverlap(resources: string[], path: string, errs: string[]): void {
  if (resources.length < 2) return;
  const grs = resources.map(parseGroupResource);
  let overlap = false;
  let duplicate = false;
  grs.forEach((r1, i) =>
    grs.forEach((r2, j) => {
      if (i === j) return;
      if (r1.group === r2.group && r1.resource === r2.resource) duplicate = true;
      else if ((r1.group === '*' && r1.resource === '*') || (r1.group === r2.group && (r1.resource === '*' || r2.resource === '*'))) overlap = true;
    }),
  );
  if (duplicate) errs.push(`${path}: Invalid value: ${shown(resources)}: the same resource cannot be specified multiple times`);
  if (overlap) errs.push(`${path}: Invalid value: ${shown(resources)}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked`);
}

function validateResourceNames(resources: string[], path: string, errs: string[]): void {
  resources.forEach((res, j) => {
    const at = `${path}[${j}]: Invalid value: ${shown(res)}: `;
    const gr = parseGroupResource(res);
    if (res.toLowerCase() !== res) errs.push(`${at}resource name should not contain capital letters`);
    else if (res === '*') errs.push(`${at}use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`);
    else if (['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations'].includes(res)) errs.push(`${at}resources which do not have REST API/s cannot be encrypted`);
    else if (gr.group === 'events.k8s.io') errs.push(`${at}'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`);
    else if (gr.group === 'extensions') errs.push(`${at}'extensions' group has been removed and cannot be used for encryption`);
    else if (gr.group === '*' && gr.resource !== '*') errs.push(`${at}encrypting the same resource across groups is not supported`);
  });
}

function validateProvider(raw: unknown, path: string, errs: string[], kmsNames: Set<string>): ProviderConfig | undefined {
  const p = (raw ?? {}) as Record<string, unknown>;
  const present = PROVIDER_NAMES.filter((n) => p[n] !== undefined && p[n] !== null);
  if (present.length === 0) {
    errs.push(`${path}: Invalid value: "REDACTED": provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity`);
    return undefined;
  }
  if (present.length > 1) {
    // The element is not printed: it may hold key material.
    errs.push(`${path}: Invalid value: "REDACTED": more than one provider specified in a single element, should split into different list elements`);
    return undefined;
  }
  const type = present[0]!;
  if (type === 'identity') return { type: 'identity' };
  if (type === 'kms') return validateKms((p.kms ?? {}) as Record<string, unknown>, `${path}.kms`, errs, kmsNames);
  const keysRaw = ((p[type] ?? {}) as Record<string, unknown>).keys;
  const keysPath = `${path}.${type}.keys`;
  const sizes = type === 'secretbox' ? SECRETBOX_KEY_SIZES : AES_KEY_SIZES;
  if (!Array.isArray(keysRaw) || keysRaw.length === 0) {
    errs.push(`${keysPath}: Required value: at least one keys is required`);
    return undefined;
  }
  const keys: EncryptionKey[] = [];
  keysRaw.forEach((kr: unknown, i) => {
    const k = (kr ?? {}) as Record<string, unknown>;
    const at = `${keysPath}[${i}]`;
    const name = typeof k.name === 'string' ? k.name : '';
    const secret = typeof k.secret === 'string' ? k.secret : '';
    if (name === '') errs.push(`${at}.name: Required value: name is a mandatory field for a key`);
    if (secret === '') {
      errs.push(`${at}.secret: Required value: secret is a mandatory field for a key`);
      return;
    }
    // Go's StdEncoding: padded standard alphabet only.
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret)) {
      errs.push(`${at}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
      return;
    }
    const bytes = Buffer.from(secret, 'base64');
    if (!sizes.includes(bytes.length)) {
      errs.push(`${at}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${bytes.length}, expected one of ${goInts(sizes)}`);
      return;
    }
    keys.push({ name, secret: bytes });
  });
  return { type, keys };
}

/** An earlier `*.group` or `*.*` rule masks every later rule: refused at load, as upstream. */
function checkMasking(rules: RawRule[]): void {
  const seen = new Set<string>();
  const id = (gr: GroupResource) => `${gr.group}\u0000${gr.resource}`;
  for (const rule of rules) {
    for (const res of rule.resources) {
      const gr = parseGroupResource(res);
      for (const masking of [{ group: gr.group, resource: '*' }, { group: '*', resource: '*' }]) {
        if (seen.has(id(masking))) {
          throw new EncryptionConfigError(`resource ${JSON.stringify(grString(gr))} is masked by earlier rule ${JSON.stringify(grString(masking))}`);
        }
      }
      seen.add(id(gr));
    }
  }
}

const DEFAULT_KMS_TIMEOUT_MS = 3000;

/** validateKMSConfiguration (name, timeout, endpoint, cachesize, apiVersion), then v1's refusal. */
function validateKms(k: Record<string, unknown>, path: string, errs: string[], kmsNames: Set<string>): KmsProviderConfig | undefined {
  const before = errs.length;
  const apiVersion = typeof k.apiVersion === 'string' && k.apiVersion !== '' ? k.apiVersion : 'v1'; // upstream's default
  const name = typeof k.name === 'string' ? k.name : '';
  if (name === '') errs.push(`${path}.name: Required value: name is a mandatory field for a provider`);
  if (apiVersion !== 'v1' && name.includes(':')) errs.push(`${path}.name: Invalid value: ${shown(name)}: invalid KMS provider name ${name}, must not contain ':'`);
  if (apiVersion !== 'v1' && kmsNames.has(name)) errs.push(`${path}.name: Invalid value: ${shown(name)}: duplicate KMS provider name ${name}, names must be unique`);
  kmsNames.add(name);
  let timeoutMs = DEFAULT_KMS_TIMEOUT_MS;
  if (k.timeout !== undefined && k.timeout !== null) {
    try {
      timeoutMs = Number(parseGoDuration(String(k.timeout)) / 1_000_000n);
      if (timeoutMs <= 0) errs.push(`${path}.timeout: Invalid value: ${String(k.timeout)}: timeout should be a positive value`);
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      errs.push(`${path}.timeout: Invalid value: ${shown(k.timeout)}: ${err.message}`);
    }
  }
  const endpoint = typeof k.endpoint === 'string' ? k.endpoint : '';
  if (endpoint === '') errs.push(`${path}.endpoint: Invalid value: "": endpoint is a mandatory field for a kms`);
  else {
    let scheme: string | undefined;
    try {
      scheme = new URL(endpoint).protocol.replace(/:$/, '');
    } catch {
      errs.push(`${path}.endpoint: Invalid value: ${shown(endpoint)}: invalid endpoint for kms provider, error: parse ${shown(endpoint)}: invalid URL`);
    }
    if (scheme !== undefined && scheme !== 'unix') errs.push(`${path}.endpoint: Invalid value: ${shown(endpoint)}: unsupported scheme ${shown(scheme)} for KMS provider, only unix is supported`);
  }
  if (apiVersion !== 'v1' && k.cachesize !== undefined && k.cachesize !== null) errs.push(`${path}.cachesize: Invalid value: ${String(k.cachesize)}: cachesize is not supported in v2`);
  if (apiVersion !== 'v1' && apiVersion !== 'v2') errs.push(`${path}.apiVersion: Invalid value: ${shown(apiVersion)}: unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported`);
  if (errs.length > before) return undefined;
  if (apiVersion === 'v1') {
    errs.push('KMSv1 is deprecated and will only receive security updates going forward. Use KMSv2 instead.  Set --feature-gates=KMSv1=true to use the deprecated KMSv1 feature.');
    return undefined;
  }
  return { type: 'kms', name, endpoint, timeoutMs };
}
