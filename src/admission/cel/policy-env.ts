/**
 * The CEL environment of admission policies (upstream's plugin/cel composition environment):
 * object, oldObject, request, params, namespaceObject, variables and authorizer, on the server's
 * one CEL setup (src/cel/environment.ts). Expressions are compiled once per environment and
 * expression, and instrumented for runtime cost (src/cel/cost.ts).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compileCel, newCelEnvironment, type CelProgram } from '../../cel/environment.ts';
import { instrumentCost } from '../../cel/cost.ts';
import { registerAuthorizerLibrary } from '../webhook/cel-authorizer.ts';

const VARS = { object: 'dyn', oldObject: 'dyn', request: 'dyn', params: 'dyn', namespaceObject: 'dyn', variables: 'dyn' };

export const policyEnv = newPolicyEnvironment();

/** A new environment with the policy variables and libraries, for expressions that need more (mutations). */
export function newPolicyEnvironment(): Environment {
  return registerAuthorizerLibrary(newCelEnvironment(VARS));
}

export interface PolicyExpression {
  expression: string;
  program?: CelProgram;
  /** The checked result type. */
  type?: string;
  /** `variables.<name>` the expression reads (so only those are computed for it). */
  variableRefs: ReadonlySet<string>;
  /** Why it did not compile ("compilation failed: ..."), or undefined. */
  error?: string;
  /** The cost of one evaluation before any comprehension iterates (src/cel/cost.ts). */
  staticCost: number;
  /** Its outcome is never a promise (no asynchronous function in it, or it did not compile). */
  sync?: boolean;
  /**
   * Set when it reads none of params, variables and authorizer: its outcome depends on the request
   * (object, oldObject, request, namespaceObject) only, so policies evaluated for one request may
   * share it. `uses` counts the compiled expressions with this program (text): one compiled once
   * has no other policy to share with.
   */
  requestOnly?: { uses: number };
}

/** The variables that differ between the policies and bindings evaluated for one request. */
const PER_BINDING = ['params', 'variables', 'authorizer'];
const uses = new WeakMap<CelProgram, { uses: number }>();

function countUse(program: CelProgram): { uses: number } {
  let u = uses.get(program);
  if (u === undefined) uses.set(program, (u = { uses: 0 }));
  u.uses++;
  return u;
}

interface AstNode {
  op: string;
  args: unknown;
}
const isNode = (x: unknown): x is AstNode => typeof x === 'object' && x !== null && 'op' in x && 'args' in x;

/** The names `variables.<name>` (or `variables.?name`) selects in a parse tree. */
function variableRefs(ast: unknown): Set<string> {
  const out = new Set<string>();
  const stack: unknown[] = [ast];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null || seen.has(x)) continue;
    seen.add(x);
    if (Array.isArray(x)) {
      stack.push(...x);
      continue;
    }
    if (!isNode(x)) {
      if (Object.getPrototypeOf(x) === Object.prototype) stack.push(...Object.values(x));
      continue;
    }
    if ((x.op === '.' || x.op === '.?') && Array.isArray(x.args)) {
      const [target, field] = x.args as [unknown, unknown];
      if (isNode(target) && target.op === 'id' && target.args === 'variables' && typeof field === 'string') out.add(field);
    }
    stack.push(x.args);
  }
  return out;
}

/**
 * Compiles one expression; `want` is the result type it must have ('bool', 'string'), if any.
 * `opts.env` and `opts.text` compile other text in another environment (a mutation's rewritten
 * object constructions) while errors still name the expression as written.
 */
export function compilePolicyExpression(expression: string, want?: 'bool' | 'string', opts: { env?: Environment; text?: string } = {}): PolicyExpression {
  const c = compileCel(opts.env ?? policyEnv, opts.text ?? expression);
  if (!c.ok) return { expression, variableRefs: new Set(), error: c.detail, staticCost: 0, sync: true };
  const refs = variableRefs(c.compiled.ast);
  if (want && c.compiled.type !== want && c.compiled.type !== 'dyn') {
    return { expression, variableRefs: refs, error: `must evaluate to ${want} but got ${c.compiled.type}`, staticCost: 0, sync: true };
  }
  const staticCost = instrumentCost(c.compiled.ast);
  const requestOnly = PER_BINDING.some((name) => c.compiled.identifiers.has(name)) ? undefined : countUse(c.compiled.program);
  return { expression, program: c.compiled.program, type: c.compiled.type, variableRefs: refs, staticCost, sync: c.compiled.sync, ...(requestOnly ? { requestOnly } : {}) };
}
