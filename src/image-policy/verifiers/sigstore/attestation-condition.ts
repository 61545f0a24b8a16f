/**
 * The CEL condition of an attestation requirement, over the verified in-toto statement: variables
 * `predicate` (the statement's predicate), `predicateType` and `subject` (its subject list). The
 * one CEL environment (src/cel), so `matches` is RE2 and parse limits apply.
 */
import { compileCel, newCelEnvironment, type CelProgram } from '../../../cel/environment.ts';
import type { InTotoStatement } from './bundle-verify.ts';

const env = newCelEnvironment({ predicate: 'dyn', predicateType: 'string', subject: 'list' });

/** The compiled condition, or why it does not compile (or is not boolean). */
export function compileAttestationCondition(expression: string): { ok: true; program: CelProgram } | { ok: false; detail: string } {
  const c = compileCel(env, expression);
  if (!c.ok) return c;
  if (c.compiled.type !== 'bool' && c.compiled.type !== 'dyn') return { ok: false, detail: `must evaluate to bool, not ${c.compiled.type}` };
  return { ok: true, program: c.compiled.program };
}

/** True only when the condition evaluates to true; an evaluation error is a failed condition. */
export function conditionHolds(program: CelProgram, st: InTotoStatement): { ok: boolean; error?: string } {
  try {
    return { ok: program({ predicate: st.predicate ?? null, predicateType: st.predicateType ?? '', subject: st.subject ?? [] }) === true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
