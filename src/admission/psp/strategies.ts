/**
 * The ID, SELinux and capability strategies of a PodSecurityPolicy (upstream
 * pkg/security/podsecuritypolicy/{user,group,selinux,capabilities}): each can default a value the
 * pod left out and validate what the pod asked for.
 */
import { caps, int64s, invalid, required, scalar, str, type FieldError } from './field-error.ts';

type Obj = Record<string, any>;
export interface IDRange { min: number; max: number }

/** `[{1 65535} {70000 80000}]`: a []IDRange printed with %v. */
export const rangesString = (ranges: readonly IDRange[]): string => `[${ranges.map((r) => `{${r.min} ${r.max}}`).join(' ')}]`;
const inRanges = (id: number, ranges: readonly IDRange[]): boolean => ranges.some((r) => id >= r.min && id <= r.max);

function ranges(opts: Obj | undefined): IDRange[] {
  return (opts?.ranges ?? []).map((r: Obj) => ({ min: Number(r.min), max: Number(r.max) }));
}

export interface UserStrategy {
  generate(): number | undefined;
  validate(scPath: string, runAsNonRoot: boolean | undefined, runAsUser: number | undefined): FieldError[];
}

/** runAsUser: MustRunAs, MustRunAsNonRoot or RunAsAny. Throws for an unusable policy (upstream skips it). */
export function userStrategy(opts: Obj | undefined): UserStrategy {
  const rule = opts?.rule;
  if (rule === 'MustRunAs') {
    const rs = ranges(opts);
    if (rs.length === 0) throw new Error('MustRunAs requires at least one range');
    return {
      generate: () => rs[0]!.min,
      validate(scPath, _nonRoot, uid) {
        if (uid === undefined) return [required(`${scPath}.runAsUser`)];
        if (!inRanges(uid, rs)) return [invalid(`${scPath}.runAsUser`, scalar(uid), `must be in the ranges: ${rangesString(rs)}`)];
        return [];
      },
    };
  }
  if (rule === 'MustRunAsNonRoot') {
    return {
      generate: () => undefined,
      validate(scPath, nonRoot, uid) {
        if (nonRoot === undefined && uid === undefined) return [required(`${scPath}.runAsNonRoot`, 'must be true')];
        if (nonRoot === false) return [invalid(`${scPath}.runAsNonRoot`, scalar(false), 'must be true')];
        if (uid === 0) return [invalid(`${scPath}.runAsUser`, scalar(0), 'running with the root UID is forbidden')];
        return [];
      },
    };
  }
  if (rule === 'RunAsAny') return { generate: () => undefined, validate: () => [] };
  throw new Error(`Unrecognized RunAsUser strategy type ${rule}`);
}

export interface GroupStrategy {
  generate(): number[] | undefined;
  validate(path: string, groups: readonly number[] | undefined): FieldError[];
}

/** runAsGroup, fsGroup and supplementalGroups: MustRunAs, MayRunAs or RunAsAny. */
export function groupStrategy(opts: Obj | undefined, what: string): GroupStrategy {
  const rule = opts?.rule;
  const rs = ranges(opts);
  const inRangesErrs = (path: string, groups: readonly number[] | undefined): FieldError[] =>
    (groups ?? []).filter((g) => !inRanges(g, rs)).map((g) => invalid(path, int64s(groups), `group ${g} must be in the ranges: ${rangesString(rs)}`));
  if (rule === 'MustRunAs') {
    if (rs.length === 0) throw new Error(`MustRunAs requires at least one range for ${what}`);
    return {
      generate: () => [rs[0]!.min],
      validate(path, groups) {
        const errs = !groups || groups.length === 0 ? [invalid(path, int64s(groups), 'unable to validate empty groups against required ranges')] : [];
        return [...errs, ...inRangesErrs(path, groups)];
      },
    };
  }
  if (rule === 'MayRunAs') {
    if (rs.length === 0) throw new Error(`MayRunAs requires at least one range for ${what}`);
    return { generate: () => undefined, validate: inRangesErrs };
  }
  if (rule === 'RunAsAny') return { generate: () => undefined, validate: () => [] };
  throw new Error(`Unrecognized ${what} strategy type ${rule}`);
}

export interface SELinuxStrategy {
  generate(): Obj | undefined;
  validate(path: string, options: Obj | undefined): FieldError[];
}

/** seLinux: MustRunAs the policy's seLinuxOptions, or RunAsAny. */
export function seLinuxStrategy(opts: Obj | undefined): SELinuxStrategy {
  const rule = opts?.rule;
  if (rule === 'MustRunAs') {
    const want: Obj = opts?.seLinuxOptions;
    if (!want) throw new Error('MustRunAs requires SELinuxContextStrategyOptions');
    return {
      generate: () => structuredClone(want),
      validate(path, got) {
        if (!got) return [required(path)];
        const errs: FieldError[] = [];
        for (const f of ['level', 'role', 'type', 'user']) {
          const w = want[f] ?? '';
          const g = got[f] ?? '';
          const equal = f === 'level' ? levelsEqual(w, g) : w === g;
          if (!equal) errs.push(invalid(`${path}.${f}`, str(g), `must be ${w}`));
        }
        return errs;
      },
    };
  }
  if (rule === 'RunAsAny') return { generate: () => undefined, validate: () => [] };
  throw new Error(`Unrecognized SELinuxContext strategy type ${rule}`);
}

/** MCS levels compare with their category sets unordered ("s0:c1,c0" equals "s0:c0,c1"). */
function levelsEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const split = (l: string): [string, string] => {
    const i = l.indexOf(':');
    return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1).split(',').sort().join(',')];
  };
  const [sa, ca] = split(a);
  const [sb, cb] = split(b);
  return sa === sb && ca === cb;
}

export interface CapabilitiesStrategy {
  generate(container: Obj): Obj | undefined;
  validate(path: string, capabilities: Obj | undefined): FieldError[];
}

/** Default adds, required drops and the allowed set ("*" allows any). */
export function capabilitiesStrategy(spec: Obj): CapabilitiesStrategy {
  const defaultAdd: string[] = spec.defaultAddCapabilities ?? [];
  const requiredDrop: string[] = spec.requiredDropCapabilities ?? [];
  const allowed: string[] = spec.allowedCapabilities ?? [];
  return {
    generate(container) {
      const current: Obj | undefined = container.securityContext?.capabilities;
      const cAdd = new Set<string>(current?.add ?? []);
      const cDrop = new Set<string>(current?.drop ?? []);
      const add = new Set([...defaultAdd.filter((c) => !cDrop.has(c)), ...cAdd]);
      const drop = new Set([...requiredDrop, ...cDrop]);
      if (add.size === cAdd.size && drop.size === cDrop.size) return current;
      // Go's nil slices: an empty list is left out.
      return { ...(add.size > 0 ? { add: [...add].sort() } : {}), ...(drop.size > 0 ? { drop: [...drop].sort() } : {}) };
    },
    validate(path, capabilities) {
      if (!capabilities) {
        if (defaultAdd.length === 0 && requiredDrop.length === 0) return [];
        return [invalid(path, scalar(null), 'required capabilities are not set on the securityContext')];
      }
      const errs: FieldError[] = [];
      if (!allowed.includes('*')) {
        for (const c of capabilities.add ?? []) {
          if (!defaultAdd.includes(c) && !allowed.includes(c)) errs.push(invalid(`${path}.add`, str(c), 'capability may not be added'));
        }
      }
      const drops = new Set<string>(capabilities.drop ?? []);
      for (const d of requiredDrop) {
        if (!drops.has(d)) errs.push(invalid(`${path}.drop`, caps(capabilities.drop), `${d} is required to be dropped but was not found`));
      }
      return errs;
    },
  };
}
