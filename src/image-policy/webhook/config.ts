/**
 * ImagePolicyWebhook's configuration, as upstream's plugin/pkg/admission/imagepolicy/config.go
 * reads it: the `imagePolicy` object of the plugin's entry in --admission-control-config-file
 * (inline `configuration`, or a file named by `path`), with
 *   kubeConfigFile  the backend, in kubeconfig format
 *   allowTTL        seconds an allow is cached   (0: default 5m, -1: not cached, else 1s < v <= 30m)
 *   denyTTL         seconds a denial is cached   (0: default 30s, -1: not cached, else 1s < v <= 30m)
 *   retryBackoff    milliseconds before a retry  (0: default 500ms, -1: none, else 1ns < v <= 5m)
 *   defaultAllow    admit when the backend cannot be asked (default false: fail closed)
 * The ranges, sentinels and error wording are upstream's (its minimum is exclusive, so
 * `allowTTL: 1` is refused there too). Unlike upstream's lenient decoder, an unknown field in
 * `imagePolicy` is refused: a misspelt `defaultAllow` must not silently mean something else.
 */
import { readAdmissionPluginConfig } from '../../admission/plugin-config-file.ts';
import { formatGoDuration } from '../../util/duration.ts';

export interface ImagePolicyWebhookConfig {
  kubeConfigFile: string;
  /** 0 means "not cached". */
  allowTtlMs: number;
  denyTtlMs: number;
  /** First wait before a retry (0: retry at once). */
  retryBackoffMs: number;
  defaultAllow: boolean;
  /** Milliseconds since the epoch, for the verdict cache (tests inject a clock). */
  now?: () => number;
}

export const PLUGIN_NAME = 'ImagePolicyWebhook';
const FIELDS = ['kubeConfigFile', 'allowTTL', 'denyTTL', 'retryBackoff', 'defaultAllow'];

const NS = 1n;
const MS = 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;

/** One duration setting: its unit, range (min exclusive) and default, as upstream's constants. */
const SETTINGS = {
  retryBackoff: { name: 'backoff', scale: MS, min: NS, max: 5n * MINUTE, def: 500n * MS },
  allowTTL: { name: 'allow cache', scale: SECOND, min: SECOND, max: 30n * MINUTE, def: 5n * MINUTE },
  denyTTL: { name: 'deny cache', scale: SECOND, min: SECOND, max: 30n * MINUTE, def: 30n * SECOND },
} as const;

export class ImagePolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImagePolicyConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);


/** upstream normalizeConfigDuration: -1 disables, 0 takes the default, anything else is range-checked. */
function normalize(key: keyof typeof SETTINGS, raw: unknown): number {
  const s = SETTINGS[key];
  if (raw === undefined || raw === null) return Number(s.def / MS);
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) {
    throw new ImagePolicyConfigError(`imagePolicy.${key}: must be a whole number (${s.scale === SECOND ? 'seconds' : 'milliseconds'}), got ${JSON.stringify(raw)}`);
  }
  if (raw === -1) return 0;
  if (raw === 0) return Number(s.def / MS);
  const value = BigInt(raw) * s.scale;
  if (value <= s.min || value > s.max) {
    throw new ImagePolicyConfigError(`valid value is between ${formatGoDuration(s.min)} and ${formatGoDuration(s.max)}, got ${formatGoDuration(value)}`);
  }
  return Number(value / MS);
}

/** Validates the decoded `{imagePolicy: {...}}` object (also accepts apiVersion/kind beside it). */
export function imagePolicyConfigFrom(doc: unknown, where: string): ImagePolicyWebhookConfig {
  if (!isObject(doc) || !isObject(doc.imagePolicy)) throw new ImagePolicyConfigError(`${where}: ${PLUGIN_NAME} configuration needs an imagePolicy object`);
  const c = doc.imagePolicy;
  const unknown = Object.keys(c).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw new ImagePolicyConfigError(`${where}: unknown field(s) in imagePolicy: ${unknown.join(', ')}`);
  if (typeof c.kubeConfigFile !== 'string' || c.kubeConfigFile === '') throw new ImagePolicyConfigError(`${where}: imagePolicy.kubeConfigFile is required`);
  if (c.defaultAllow !== undefined && typeof c.defaultAllow !== 'boolean') throw new ImagePolicyConfigError(`${where}: imagePolicy.defaultAllow must be true or false`);
  try {
    return {
      kubeConfigFile: c.kubeConfigFile,
      retryBackoffMs: normalize('retryBackoff', c.retryBackoff),
      allowTtlMs: normalize('allowTTL', c.allowTTL),
      denyTtlMs: normalize('denyTTL', c.denyTTL),
      defaultAllow: c.defaultAllow === true,
    };
  } catch (err) {
    throw new ImagePolicyConfigError(`${where}: ${(err as Error).message}`);
  }
}

/**
 * The ImagePolicyWebhook entry of an AdmissionConfiguration file, or undefined when it has none
 * (the plugin then refuses to start if enabled, as upstream's "no config specified").
 */
export function loadImagePolicyWebhookConfig(path: string): ImagePolicyWebhookConfig | undefined {
  const entry = readAdmissionPluginConfig(path, PLUGIN_NAME);
  return entry && imagePolicyConfigFrom(entry.config, entry.where);
}
