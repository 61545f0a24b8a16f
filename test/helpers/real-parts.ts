import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Whether a real part a test needs is here. On a user's machine a missing part skips the test with
 * a clear message; under PORTCULLIS_REQUIRE_ALL=1 (CI) it is a failure.
 */
export function requirePart(what: string, present: boolean): string | false {
  if (present) return false;
  if (process.env.PORTCULLIS_REQUIRE_ALL === '1') throw new Error(`required part missing: ${what} (PORTCULLIS_REQUIRE_ALL=1)`);
  return `skipped: ${what} is not installed`;
}

/** The absolute path of an executable on PATH (plus the sbin directories), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Skip message (or false) for a test that needs these Debian binaries. */
export function requireBinaries(pkg: string, ...names: string[]): string | false {
  const missing = names.filter((n) => !findBinary(n));
  return requirePart(`${missing.join(', ')} (Debian package ${pkg})`, missing.length === 0);
}

/** Skip message (or false) for a test that needs root (network namespaces, runc, nftables). */
export function requireRoot(what: string): string | false {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root) return false;
  if (process.env.PORTCULLIS_REQUIRE_ALL === '1') throw new Error(`${what} needs root (PORTCULLIS_REQUIRE_ALL=1)`);
  return `skipped: ${what} needs root`;
}

/** Skip message (or false) for a test running busybox under runc: root, runc and busybox-static. */
export function requireRunc(what: string): string | false {
  return requireRoot(what) || requireBinaries('runc', 'runc') || requirePart('/bin/busybox (Debian package busybox-static)', existsSync('/bin/busybox'));
}
