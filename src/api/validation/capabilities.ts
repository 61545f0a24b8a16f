/**
 * What the cluster's policy allows, after upstream's pkg/capabilities: kube-apiserver sets it once
 * from --allow-privileged (capabilities.Setup) and the core validation reads it
 * (capabilities.Get().AllowPrivileged) for privileged containers and Windows hostProcess pods.
 *
 * Upstream keeps one process-wide value; here several API servers may share a process (tests, the
 * scale bench), so each server runs its validation inside withCapabilities with its own. Validation
 * is synchronous, so the value in force cannot leak into another server's request. Outside any
 * server (unit tests calling the validators) upstream's default holds: privileged is not allowed.
 */
export interface Capabilities {
  /** --allow-privileged: privileged containers and hostProcess pods may be created. */
  readonly allowPrivileged: boolean;
}

/** Upstream's capabilities.Get() before Setup: AllowPrivileged false. */
export const DEFAULT_CAPABILITIES: Capabilities = Object.freeze({ allowPrivileged: false });

let current: Capabilities = DEFAULT_CAPABILITIES;

/** capabilities.Get(): the value in force for the validation running now. */
export function capabilities(): Capabilities {
  return current;
}

/** Runs `fn` (synchronous validation) with `caps` in force, then restores what was. */
export function withCapabilities<T>(caps: Capabilities, fn: () => T): T {
  const before = current;
  current = caps;
  try {
    return fn();
  } finally {
    current = before;
  }
}
