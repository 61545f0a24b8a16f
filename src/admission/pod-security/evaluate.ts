/**
 * evaluatePod and the denial message (upstream policy.Evaluator + AggregateCheckResults, and the
 * message built in admission.go: `violates PodSecurity "<level>:<version>": <details>`).
 */
import { DEFAULT_CHECKS } from './checks/index.ts';
import { goQuote } from './format.ts';
import { parseVersion, versionMinor } from './labels.ts';
import { createCheckRegistry, type CheckRegistry, type CompiledChecks } from './registry.ts';
import type { CheckDefinition, Level, PodMetaLike, PodSpecLike, PolicyVersion } from './types.ts';

export interface Violation {
  /** Upstream check ID, e.g. "allowPrivilegeEscalation". */
  readonly check: string;
  readonly reason: string;
  readonly detail: string;
}

export interface Evaluation {
  readonly allowed: boolean;
  /** The failed checks, in upstream's order (baseline IDs sorted, then restricted IDs sorted). */
  readonly results: readonly Violation[];
}

/** Placeholder upstream uses when a check denies without saying why. */
export const UNKNOWN_FORBIDDEN_REASON = 'unknown forbidden reason';

const ALLOWED_EVALUATION: Evaluation = Object.freeze({ allowed: true, results: Object.freeze([]) });
const EMPTY_META: PodMetaLike = Object.freeze({});
const EMPTY_SPEC: PodSpecLike = Object.freeze({});

export interface PodSecurityEvaluator {
  evaluatePod(
    level: Level,
    version: PolicyVersion | string,
    podMeta: PodMetaLike | null | undefined,
    podSpec: PodSpecLike | null | undefined,
  ): Evaluation;
  /** The check IDs that run for a level and version, in evaluation order. */
  activeChecks(level: Level, version: PolicyVersion | string): readonly string[];
  /** At restricted, the check that replaces a baseline check at this version (if any). */
  overridingCheck(version: PolicyVersion | string, baselineCheckId: string): string | undefined;
}

/** Builds an evaluator; throws InvalidCheckError if the check list is malformed. */
export function createEvaluator(checks: readonly CheckDefinition[] = DEFAULT_CHECKS): PodSecurityEvaluator {
  const registry: CheckRegistry = createCheckRegistry(checks);
  // Version strings come from namespace labels, so a handful of distinct values: cache the lookup.
  const minors = new Map<string, number>();
  const minorOf = (version: string): number => {
    let m = minors.get(version);
    if (m === undefined) {
      // An unparseable version evaluates as "latest", as upstream's ParseVersion falls back.
      m = Math.min(versionMinor(parseVersion(version).value), registry.maxMinor);
      if (minors.size < 1024) minors.set(version, m);
    }
    return m;
  };
  const compiled = (level: 'baseline' | 'restricted', version: string): CompiledChecks =>
    registry.checksFor(level, minorOf(version));

  return {
    evaluatePod(level, version, podMeta, podSpec) {
      if (level === 'privileged') return ALLOWED_EVALUATION;
      // Any other value, valid or not, gets at least restricted: fail closed.
      const { ids, fns } = compiled(level === 'baseline' ? 'baseline' : 'restricted', version);
      const meta = podMeta ?? EMPTY_META;
      const spec = podSpec ?? EMPTY_SPEC;
      let results: Violation[] | undefined;
      for (let i = 0; i < fns.length; i++) {
        const r = fns[i]!(meta, spec);
        if (r.allowed) continue;
        (results ??= []).push({
          check: ids[i]!,
          reason: r.forbiddenReason || UNKNOWN_FORBIDDEN_REASON,
          detail: r.forbiddenDetail ?? '',
        });
      }
      return results ? { allowed: false, results } : ALLOWED_EVALUATION;
    },
    activeChecks(level, version) {
      if (level === 'privileged') return [];
      return compiled(level === 'baseline' ? 'baseline' : 'restricted', version).ids;
    },
    overridingCheck(version, baselineCheckId) {
      return compiled('restricted', version).overriddenBy.get(baselineCheckId);
    },
  };
}

const defaultEvaluator = createEvaluator();

/** Evaluates a pod against the Pod Security Standards at `level` and policy `version`. */
export function evaluatePod(
  level: Level,
  version: PolicyVersion | string,
  podMeta: PodMetaLike | null | undefined,
  podSpec: PodSpecLike | null | undefined,
): Evaluation {
  return defaultEvaluator.evaluatePod(level, version, podMeta, podSpec);
}

export const activeChecks = defaultEvaluator.activeChecks;
export const overridingCheck = defaultEvaluator.overridingCheck;

/** Reasons with their details in parentheses: `host ports (8080), privileged (...)` (upstream ForbiddenDetail). */
export function forbiddenDetail(results: readonly Violation[]): string {
  let out = '';
  for (let i = 0; i < results.length; i++) {
    if (i > 0) out += ', ';
    const r = results[i]!;
    out += r.reason;
    if (r.detail !== '') out += ` (${r.detail})`;
  }
  return out;
}

/** Just the reasons, comma-separated (upstream ForbiddenReason). */
export function forbiddenReason(results: readonly Violation[]): string {
  return results.map((r) => r.reason).join(', ');
}

/** The enforce denial: `violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (...), ...`. */
export function denialMessage(level: Level, version: PolicyVersion | string, results: readonly Violation[]): string {
  return `violates PodSecurity ${goQuote(`${level}:${version}`)}: ${forbiddenDetail(results)}`;
}

/** The audit annotation / warning text: `would violate PodSecurity "baseline:v1.30": ...`. */
export function wouldViolateMessage(level: Level, version: PolicyVersion | string, results: readonly Violation[]): string {
  return `would violate PodSecurity ${goQuote(`${level}:${version}`)}: ${forbiddenDetail(results)}`;
}
