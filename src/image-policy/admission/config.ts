/**
 * ImageVerification's settings (what `--admission-control-config-file` or a test passes), checked
 * when the plugin is built so a request never sees a bad one.
 */
import type { RegistryClientOptions } from '../registry/client.ts';

export const PLUGIN_NAME = 'ImageVerification';

/** What an image that no policy matches gets: admitted, admitted with a warning, or NO_POLICY. */
export type NoMatchAction = 'allow' | 'warn' | 'deny';
export const NO_MATCH_ACTIONS: readonly NoMatchAction[] = ['allow', 'warn', 'deny'];

/** A namespace label overriding `noMatch` for the pods of that namespace. */
export const NO_MATCH_LABEL = 'policy.portcullis.dev/no-match';

export interface ImageVerificationConfig {
  /** Everything about one request (resolution and every policy) must finish in this time (10 s). */
  deadlineMs?: number;
  /** Default for images no policy matches, when some policy exists (default allow). */
  noMatch?: NoMatchAction;
  /** Registry client settings: CA or plain HTTP per registry host, platform. */
  registry?: Pick<RegistryClientOptions, 'hosts' | 'platform' | 'maxManifestBytes' | 'userAgent'>;
  /** Verdict cache: how long allows and denials are kept, and how many (5 min, 30 s, 10,000). */
  allowTtlMs?: number;
  denyTtlMs?: number;
  maxCacheEntries?: number;
  /** Milliseconds since the epoch (Notary expiry, cache age). */
  now?: () => number;
}

export function checkConfig(c: ImageVerificationConfig): Required<Pick<ImageVerificationConfig, 'deadlineMs' | 'noMatch'>> {
  const deadlineMs = c.deadlineMs ?? 10_000;
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) throw new Error(`ImageVerification: deadlineMs must be a positive number, got ${deadlineMs}`);
  const noMatch = c.noMatch ?? 'allow';
  if (!NO_MATCH_ACTIONS.includes(noMatch)) throw new Error(`ImageVerification: noMatch must be one of ${NO_MATCH_ACTIONS.join(', ')}, got ${JSON.stringify(noMatch)}`);
  return { deadlineMs, noMatch };
}
