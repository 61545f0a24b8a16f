/**
 * ImageVerification's entry in --admission-control-config-file (inline `configuration`, or a
 * file named by `path`, relative to the AdmissionConfiguration file):
 *
 *   apiVersion: policy.portcullis.dev/v1alpha1
 *   kind: ImageVerificationConfiguration
 *   deadline: 10s          # the whole check of one request (Go duration)
 *   noMatch: deny          # allow | warn | deny (NO_POLICY, the default) for images no policy matches
 *   exemptNamespaces: [kube-system]   # their unmatched images are admitted (default kube-system)
 *   notaryFloorsFile: notary-floors.json   # Notary rollback floors kept across restarts (relative to this file)
 *   allowTTL: 5m           # verdict cache; 0s caches nothing
 *   denyTTL: 30s
 *   cacheSize: 10000
 *   registries:            # per registry host: its CA (file, relative to this file) or plain HTTP
 *   - { host: registry.example:5000, caFile: ca.pem, insecure: false }
 *
 * Decoding is strict: an unknown field, a wrong kind or a bad value fails the start naming it.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { readAdmissionPluginConfig } from '../../admission/plugin-config-file.ts';
import { parseDurationMs } from '../../util/duration.ts';
import type { RegistryHostConfig } from '../registry/transport.ts';
import { checkConfig, NO_MATCH_ACTIONS, PLUGIN_NAME, type ImageVerificationConfig, type NoMatchAction } from './config.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';

const FIELDS = ['apiVersion', 'kind', 'deadline', 'noMatch', 'exemptNamespaces', 'notaryFloorsFile', 'allowTTL', 'denyTTL', 'cacheSize', 'registries'];
const REGISTRY_FIELDS = ['host', 'caFile', 'insecure'];

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownFields(o: Obj, allowed: readonly string[], prefix: string): string[] {
  return Object.keys(o).filter((k) => !allowed.includes(k)).map((k) => `unknown field "${prefix}${k}"`);
}

function duration(o: Obj, field: string, errs: string[]): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  try {
    if (typeof v !== 'string') throw new Error('must be a duration such as "30s"');
    const ms = parseDurationMs(v);
    if (ms < 0) throw new Error('must not be negative');
    return ms;
  } catch (err) {
    errs.push(`${field}: Invalid value: ${JSON.stringify(v)}: ${(err as Error).message}`);
    return undefined;
  }
}

/** A decoded ImageVerificationConfiguration; `dir` resolves relative CA files. */
export function imageVerificationConfigFrom(o: unknown, where: string, dir: string): ImageVerificationConfig {
  if (!isObject(o) || o.kind !== 'ImageVerificationConfiguration' || o.apiVersion !== 'policy.portcullis.dev/v1alpha1') {
    throw new Error(`${where}: expected kind ImageVerificationConfiguration with apiVersion policy.portcullis.dev/v1alpha1`);
  }
  const errs = unknownFields(o, FIELDS, '');
  const cfg: ImageVerificationConfig = {};
  const deadline = duration(o, 'deadline', errs);
  if (deadline !== undefined) cfg.deadlineMs = deadline;
  const allow = duration(o, 'allowTTL', errs);
  if (allow !== undefined) cfg.allowTtlMs = allow;
  const deny = duration(o, 'denyTTL', errs);
  if (deny !== undefined) cfg.denyTtlMs = deny;
  if (o.noMatch !== undefined) {
    if (NO_MATCH_ACTIONS.includes(o.noMatch as NoMatchAction)) cfg.noMatch = o.noMatch as NoMatchAction;
    else errs.push(`noMatch: Unsupported value: ${JSON.stringify(o.noMatch)}: supported values: ${NO_MATCH_ACTIONS.map((a) => `"${a}"`).join(', ')}`);
  }
  if (o.exemptNamespaces !== undefined) {
    if (Array.isArray(o.exemptNamespaces) && o.exemptNamespaces.every((n) => typeof n === 'string' && n !== '')) cfg.exemptNamespaces = o.exemptNamespaces as string[];
    else errs.push(`exemptNamespaces: Invalid value: ${JSON.stringify(o.exemptNamespaces)}: must be a list of namespace names`);
  }
  if (o.notaryFloorsFile !== undefined) {
    if (typeof o.notaryFloorsFile === 'string' && o.notaryFloorsFile !== '') cfg.notaryFloorsFile = isAbsolute(o.notaryFloorsFile) ? o.notaryFloorsFile : join(dir, o.notaryFloorsFile);
    else errs.push(`notaryFloorsFile: Invalid value: ${JSON.stringify(o.notaryFloorsFile)}: must be a file path`);
  }
  if (o.cacheSize !== undefined) {
    if (Number.isInteger(o.cacheSize) && (o.cacheSize as number) >= 0) cfg.maxCacheEntries = o.cacheSize as number;
    else errs.push(`cacheSize: Invalid value: ${JSON.stringify(o.cacheSize)}: must be a non-negative integer`);
  }
  if (o.registries !== undefined) {
    if (!Array.isArray(o.registries)) errs.push('registries: must be a list');
    else {
      const hosts: Record<string, RegistryHostConfig> = {};
      o.registries.forEach((r: unknown, i: number) => {
        const p = `registries[${i}]`;
        if (!isObject(r) || typeof r.host !== 'string' || r.host === '') {
          errs.push(`${p}.host: Required value`);
          return;
        }
        errs.push(...unknownFields(r, REGISTRY_FIELDS, `${p}.`));
        if (Object.hasOwn(hosts, r.host)) errs.push(`${p}.host: Duplicate value: ${JSON.stringify(r.host)}`);
        const h: RegistryHostConfig = {};
        if (r.caFile !== undefined) {
          const file = typeof r.caFile === 'string' && isAbsolute(r.caFile) ? r.caFile : join(dir, String(r.caFile));
          try {
            h.caPem = readFileSync(file, 'utf8');
          } catch (err) {
            errs.push(`${p}.caFile: Invalid value: ${JSON.stringify(r.caFile)}: ${(err as Error).message}`);
          }
        }
        if (r.insecure !== undefined) {
          if (typeof r.insecure === 'boolean') h.insecure = r.insecure;
          else errs.push(`${p}.insecure: Invalid value: must be true or false`);
        }
        hosts[r.host] = h;
      });
      cfg.registry = { hosts };
    }
  }
  const err = aggregateMessage(errs);
  if (err !== undefined) throw new Error(`${where}: invalid ImageVerificationConfiguration: ${err}`);
  try {
    checkConfig(cfg);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  return cfg;
}

/** The ImageVerification entry of an AdmissionConfiguration file, or undefined when it has none. */
export function loadImageVerificationConfig(path: string): ImageVerificationConfig | undefined {
  const entry = readAdmissionPluginConfig(path, PLUGIN_NAME);
  return entry && imageVerificationConfigFrom(entry.config, entry.where, entry.dir);
}
