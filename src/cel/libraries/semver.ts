/**
 * Kubernetes' CEL semver library (apiserver/pkg/cel/library/semverlib.go): `semver(s)`,
 * `isSemver(s)`, `major`, `minor`, `patch`, `isGreaterThan`, `isLessThan`, `compareTo`, with
 * semver 2.0 precedence (pre-releases before the release, build metadata ignored).
 */
import type { Environment } from '@marcbachmann/cel-js';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export class CelSemver {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: string[];
  constructor(major: bigint, minor: bigint, patch: bigint, pre: string[]) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
    this.pre = pre;
  }
}

function parse(s: string): CelSemver | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return new CelSemver(BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!), m[4] ? m[4].split('.') : []);
}

function semver(s: string): CelSemver {
  const v = parse(s);
  if (!v) throw new Error(`could not parse semver: "${s}"`);
  return v;
}

const cmp = (a: bigint | number | string, b: bigint | number | string): number => (a < b ? -1 : a > b ? 1 : 0);

function compare(a: CelSemver, b: CelSemver): number {
  const c = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (c) return c;
  if (a.pre.length === 0 || b.pre.length === 0) return cmp(b.pre.length, a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    const d = xn && yn ? cmp(BigInt(x), BigInt(y)) : xn ? -1 : yn ? 1 : cmp(x, y);
    if (d) return d;
  }
  return cmp(a.pre.length, b.pre.length);
}

export function registerSemverLibrary(env: Environment): Environment {
  const T = 'kubernetes.Semver';
  return env
    .registerType(T, CelSemver)
    .registerFunction(`semver(string): ${T}`, semver)
    .registerFunction('isSemver(string): bool', (s: string) => parse(s) !== undefined)
    .registerFunction(`${T}.major(): int`, (v: CelSemver) => v.major)
    .registerFunction(`${T}.minor(): int`, (v: CelSemver) => v.minor)
    .registerFunction(`${T}.patch(): int`, (v: CelSemver) => v.patch)
    .registerFunction(`${T}.isGreaterThan(${T}): bool`, (a: CelSemver, b: CelSemver) => compare(a, b) > 0)
    .registerFunction(`${T}.isLessThan(${T}): bool`, (a: CelSemver, b: CelSemver) => compare(a, b) < 0)
    .registerFunction(`${T}.compareTo(${T}): int`, (a: CelSemver, b: CelSemver) => BigInt(compare(a, b)));
}
