/**
 * ImageVerification's settings (what `--admission-control-config-file` or a test passes), checked
 * when the plugin is built so a request never sees a bad one.
 */
import type { RegistryClientOptions } from '../registry/client.ts';

export const PLUGIN_NAME = 'ImageVerification';

/** What an image that no policy matches gets: admitted, admitted with a warning, or NO_POLICY. */
export type NoMatchAction = 'allow' | 'warn' | 'deny';
export const NO_MATCH_ACTIONS: readonly NoMatchAction[] = ['allow', 'warn', 'deny'];

/** A namespace label overriding `noMatch` for the pods of that namespace (`allow` exempts it). */
export const NO_MATCH_LABEL = 'policy.portcullis.dev/no-match';

/**
 * Namespaces whose unmatched images are admitted by default: the control plane's own add-ons run
 * there, and a policy written for one registry must not stop them.
 */
export const DEFAULT_EXEMPT_NAMESPACES: readonly string[] = ['kube-system'];

export interface ImageVerificationConfig {
  /** Everything about one request (resolution and every policy) must finish in this time (10 s). */
  deadlineMs?: number;
  /**
   * Default for images no policy matches, once some policy exists: deny (NO_POLICY) as issue 15
   * asks, unless the namespace is exempt (below, or its no-match label says allow or warn).
   */
  noMatch?: NoMatchAction;
  /** Namespaces exempt from `noMatch` (their unmatched images are admitted); default kube-system. */
  exemptNamespaces?: readonly string[];
  /** Registry client settings: CA or plain HTTP per registry host, platform. */
  registry?: Pick<RegistryClientOptions, 'hosts' | 'platform' | 'maxManifestBytes' | 'userAgent'>;
  /** Verdict cache: how long allows and denials are kept, and how many (5 min, 30 s, 10,000). */
  allowTtlMs?: number;
  denyTtlMs?: number;
  maxCacheEntries?: number;
  /**
   * A file keeping Notary rollback floors across restarts (created when missing; a corrupt one
   * fails the start). Default: floors in memory only.
   */
  notaryFloorsFile?: string;
  /** Milliseconds since the epoch (Notary expiry, cache age). */
  now?: () => number;
}

export function checkConfig(c: ImageVerificationConfig): Required<Pick<ImageVerificationConfig, 'deadlineMs' | 'noMatch' | 'exemptNamespaces'>> {
  const deadlineMs = c.deadlineMs ?? 10_000;
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) throw new Error(`ImageVerification: deadlineMs must be a positive number, got ${deadlineMs}`);
  const noMatch = c.noMatch ?? 'deny';
  if (!NO_MATCH_ACTIONS.includes(noMatch)) throw new Error(`ImageVerification: noMatch must be one of ${NO_MATCH_ACTIONS.join(', ')}, got ${JSON.stringify(noMatch)}`);
  const exemptNamespaces = c.exemptNamespaces ?? DEFAULT_EXEMPT_NAMESPACES;
  if (!Array.isArray(exemptNamespaces) || exemptNamespaces.some((n) => typeof n !== 'string' || n === '')) throw new Error('ImageVerification: exemptNamespaces must be a list of namespace names');
  return { deadlineMs, noMatch, exemptNamespaces };
}
