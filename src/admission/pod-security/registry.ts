/**
 * Precompiles the check list for every (level, policy version), as upstream's checkRegistry does
 * (policy/registry.go): each version runs the newest revision of each check whose minimum version
 * it has reached; restricted runs the baseline checks its own revisions do not override, then its
 * own. Order is baseline IDs sorted, then restricted IDs sorted, which fixes the message order.
 */
import type { CheckDefinition, CheckFn, CheckLevel } from './types.ts';

export interface CompiledChecks {
  readonly ids: readonly string[];
  readonly fns: readonly CheckFn[];
  /** Baseline check ID → the restricted check that replaces it at this version (restricted only). */
  readonly overriddenBy: ReadonlyMap<string, string>;
}

export interface CheckRegistry {
  /** The newest minor any check names; newer and "latest" versions evaluate as this one. */
  readonly maxMinor: number;
  /** The compiled checks of a level at policy version v1.<minor> (capped at maxMinor). */
  checksFor(level: CheckLevel, minor: number): CompiledChecks;
}

export class InvalidCheckError extends Error {
  override readonly name = 'InvalidCheckError';
}

function validate(checks: readonly CheckDefinition[]): void {
  const levels = new Map<string, CheckLevel>();
  for (const c of checks) {
    if (levels.has(c.id)) throw new InvalidCheckError(`multiple checks registered for ID ${c.id}`);
    levels.set(c.id, c.level);
    if (c.versions.length === 0) throw new InvalidCheckError(`check ${c.id}: empty`);
    let previous = -1;
    for (const v of c.versions) {
      if (!Number.isInteger(v.minVersion) || v.minVersion <= previous) {
        throw new InvalidCheckError(`check ${c.id}: versions must be strictly increasing`);
      }
      previous = v.minVersion;
    }
  }
  for (const c of checks) {
    for (const v of c.versions) {
      if (!v.overrides?.length) continue;
      if (c.level !== 'restricted') throw new InvalidCheckError(`check ${c.id}: only restricted checks may set overrides`);
      for (const o of v.overrides) {
        const overriddenLevel = levels.get(o);
        if (overriddenLevel !== undefined && overriddenLevel !== 'baseline') {
          throw new InvalidCheckError(`check ${c.id}: overrides ${overriddenLevel} check ${o}`);
        }
      }
    }
  }
}

/** The revision of `c` in force at `minor`, if any. */
function revisionAt(c: CheckDefinition, minor: number) {
  let found;
  for (const v of c.versions) if (v.minVersion <= minor) found = v;
  return found;
}

export function createCheckRegistry(checks: readonly CheckDefinition[]): CheckRegistry {
  validate(checks);
  const maxMinor = Math.max(...checks.map((c) => c.versions[c.versions.length - 1]!.minVersion));
  const byId = (a: CheckDefinition, b: CheckDefinition) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const baseline = checks.filter((c) => c.level === 'baseline').sort(byId);
  const restricted = checks.filter((c) => c.level === 'restricted').sort(byId);

  const compiled: Record<CheckLevel, CompiledChecks[]> = { baseline: [], restricted: [] };
  for (let minor = 0; minor <= maxMinor; minor++) {
    const overriddenBy = new Map<string, string>();
    const restrictedOwn: Array<[string, CheckFn]> = [];
    for (const c of restricted) {
      const r = revisionAt(c, minor);
      if (!r) continue;
      restrictedOwn.push([c.id, r.check]);
      for (const o of r.overrides ?? []) overriddenBy.set(o, c.id);
    }
    const baselineOwn: Array<[string, CheckFn]> = [];
    for (const c of baseline) {
      const r = revisionAt(c, minor);
      if (r) baselineOwn.push([c.id, r.check]);
    }
    const kept = baselineOwn.filter(([id]) => !overriddenBy.has(id));
    compiled.baseline.push(freeze(baselineOwn, new Map()));
    compiled.restricted.push(freeze([...kept, ...restrictedOwn], overriddenBy));
  }
  return {
    maxMinor,
    checksFor(level, minor) {
      return compiled[level][Math.min(Math.max(minor, 0), maxMinor)]!;
    },
  };
}

function freeze(entries: Array<[string, CheckFn]>, overriddenBy: Map<string, string>): CompiledChecks {
  return Object.freeze({
    ids: Object.freeze(entries.map(([id]) => id)),
    fns: Object.freeze(entries.map(([, fn]) => fn)),
    overriddenBy,
  });
}
