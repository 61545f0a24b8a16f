import { ApiError } from '../api/errors.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict, VerdictRecord } from './types.ts';

export interface AdmissionOutcome {
  records: VerdictRecord[];
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

export function emptyOutcome(): AdmissionOutcome {
  return { records: [], warnings: [], auditAnnotations: {} };
}

/**
 * Runs the mutating plugins in order, or the validating plugins in order. The first denial stops
 * the chain with a 403 (or the plugin's code) naming the plugin. A plugin that throws is a denial,
 * never a silent allow.
 */
export class AdmissionChain {
  readonly mutating: readonly MutatingPlugin[];
  readonly validating: readonly ValidatingPlugin[];
  readonly #now: () => number;

  constructor(mutating: readonly MutatingPlugin[], validating: readonly ValidatingPlugin[], now: () => number = performance.now.bind(performance)) {
    this.mutating = mutating;
    this.validating = validating;
    this.#now = now;
  }

  async admit(a: AdmissionAttributes, out: AdmissionOutcome): Promise<void> {
    const reinvocable: MutatingPlugin[] = [];
    for (const p of this.mutating) {
      if (!p.handles(a)) continue;
      await this.#run(p.name, 'mutating', () => p.admit(a), a, out);
      if (p.reinvoke) reinvocable.push(p);
    }
    // Upstream's reinvocation round: each plugin decides whether anything of it must run again.
    for (const p of reinvocable) await this.#run(p.name, 'mutating', () => p.reinvoke!(a), a, out);
  }

  async validate(a: AdmissionAttributes, out: AdmissionOutcome): Promise<void> {
    for (const p of this.validating) {
      if (!p.handles(a)) continue;
      await this.#run(p.name, 'validating', () => p.validate(a), a, out);
    }
  }

  async #run(name: string, phase: 'mutating' | 'validating', fn: () => Promise<Verdict>, a: AdmissionAttributes, out: AdmissionOutcome): Promise<void> {
    const start = this.#now();
    let v: Verdict;
    try {
      v = await fn();
    } catch (err) {
      if (err instanceof ApiError) {
        out.records.push({ plugin: name, phase, allowed: false, reason: err.message, durationMs: this.#now() - start });
        throw err;
      }
      v = { allowed: false, code: 500, reason: `admission plugin "${name}" failed: ${(err as Error).message}` };
    }
    out.records.push({ plugin: name, phase, allowed: v.allowed, reason: v.reason, patches: v.patches, durationMs: this.#now() - start });
    if (v.warnings) out.warnings.push(...v.warnings);
    if (v.auditAnnotations) Object.assign(out.auditAnnotations, v.auditAnnotations);
    if (!v.allowed) throw v.error ?? admissionDenied(name, a, v);
  }
}

function admissionDenied(plugin: string, a: AdmissionAttributes, v: Verdict): ApiError {
  const code = v.code ?? 403;
  const reason = v.reason ?? `denied by ${plugin}`;
  if (code === 403) {
    const gr = a.resource.group ? `${a.resource.resource}.${a.resource.group}` : a.resource.resource;
    const what = a.name ? `${gr} "${a.name}"` : gr;
    return new ApiError(403, 'Forbidden', `${what} is forbidden: ${reason}`, {
      name: a.name || undefined,
      group: a.resource.group || undefined,
      kind: a.resource.resource,
    });
  }
  if (code === 404) return new ApiError(404, 'NotFound', reason);
  // A 5xx verdict stands for upstream's plain error (fmt.Errorf from the plugin): ErrorToAPIStatus
  // answers it with the code and message only, reason StatusReasonUnknown ("", left out).
  return new ApiError(code, code >= 500 ? '' : 'BadRequest', reason);
}
