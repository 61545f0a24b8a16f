/**
 * The one CEL environment setup for Kubernetes-style expressions (CRD x-kubernetes-validations,
 * admission webhook matchConditions, AuthenticationConfiguration claim rules): cel-js with Kubernetes'
 * base options, structural parse limits, and `matches` on RE2 instead of cel-js's backtracking
 * JavaScript RegExp, and Kubernetes' libraries (src/cel/libraries). Programs are compiled once per expression and environment (bounded cache).
 */
import { Environment, type RegisterVariableOptions } from '@marcbachmann/cel-js';
import { re2Find } from './re2.ts';
import { registerKubernetesLibraries } from './libraries/index.ts';
import { compileClosures, type CelRuntime, type Ev } from './closures.ts';
import { crossChecked } from './crosscheck.ts';

/** Parse-time bounds: a rule's size and nesting cannot grow without limit. */
export const CEL_LIMITS = { maxAstNodes: 10_000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 };

/** The name `matches` is rewritten to, so the RE2 overloads answer instead of cel-js's built-in. */
const RE2_MATCHES = 'matches_re2';

/**
 * A new environment with the given variables (name -> CEL type, or cel-js options such as an
 * object `schema`). Callers may register more (types, functions) on the result before compiling.
 */
export function newCelEnvironment(variables: Record<string, string | RegisterVariableOptions>): Environment {
  // Optional types (`self.?x.orValue("")`) are part of Kubernetes' CEL base environment.
  let env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: CEL_LIMITS })
    .registerFunction(`string.${RE2_MATCHES}(string): bool`, (s: string, re: string) => re2Find(re, s), { async: false })
    .registerFunction(`${RE2_MATCHES}(string, string): bool`, (s: string, re: string) => re2Find(re, s), { async: false });
  env = registerKubernetesLibraries(env);
  // The ternary only narrows the union for cel-js's two registerVariable overloads.
  for (const [name, type] of Object.entries(variables)) env = typeof type === 'string' ? env.registerVariable(name, type) : env.registerVariable(name, type);
  return env;
}

export type CelProgram = (vars: Record<string, unknown>) => unknown;

export interface CelCompiled {
  /** The expression compiled to closures (src/cel/closures.ts), or cel-js's program where they do not reach. */
  program: CelProgram;
  /** cel-js's own program (interpreter) for the same tree. */
  interpreted: CelProgram;
  /** The checked result type ('bool', 'string', 'dyn', ...). */
  type: string;
  /** Identifiers the expression reads (e.g. whether a rule uses oldSelf). */
  identifiers: ReadonlySet<string>;
  /** The parse tree, for usage checks beyond identifiers (e.g. OIDC's `claims.email` select). */
  ast: unknown;
  /** No function in it is asynchronous (cel-js's maybeAsync): the program never returns a promise. */
  sync: boolean;
}

export type CelCompileResult = { ok: true; compiled: CelCompiled } | { ok: false; detail: string };

interface AstNode {
  op: string;
  args: unknown;
}
const isNode = (x: unknown): x is AstNode => typeof x === 'object' && x !== null && 'op' in x && 'args' in x;

/** Routes `matches` to RE2 and collects the identifiers, in one walk of the parse tree. */
function prepare(ast: unknown): Set<string> {
  const ids = new Set<string>();
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      stack.push(...x);
      continue;
    }
    if (!isNode(x)) continue;
    if (x.op === 'id' && typeof x.args === 'string') ids.add(x.args);
    if ((x.op === 'rcall' || x.op === 'call') && Array.isArray(x.args) && x.args[0] === 'matches') x.args[0] = RE2_MATCHES;
    stack.push(x.args);
  }
  return ids;
}

const firstLine = (s: string): string => s.split('\n')[0]!.trim();

const runtimes = new WeakMap<Environment, CelRuntime>();

/**
 * The environment's cel-js evaluator, which the closures hand to cel-js's handlers, and its
 * Optional class (cel-js keeps both private): the evaluator from a checked `true` whose root
 * hands back what it is evaluated with, the class from `optional.none()`.
 */
function runtimeOf(env: Environment): CelRuntime {
  let rt = runtimes.get(env);
  if (rt !== undefined) return rt;
  const parsed = env.parse('true');
  parsed.check();
  (parsed.ast as unknown as { evaluate: (e: Ev) => Ev }).evaluate = (e) => e;
  rt = { ev: parsed({}) as Ev };
  try {
    const none = env.evaluate('optional.none()') as object;
    rt.Optional = none.constructor as CelRuntime['Optional'];
  } catch {
    // Optional types not enabled: expressions using them are left to cel-js.
  }
  runtimes.set(env, rt);
  return rt;
}

/** Set to compare every evaluation with cel-js's (src/cel/crosscheck.ts); read once. */
const CROSSCHECK = process.env.PORTCULLIS_CEL_CROSSCHECK === '1';
/** Set to 0 to evaluate with cel-js's interpreter only (a switch for comparisons and suspicion). */
const CLOSURES = process.env.PORTCULLIS_CEL_CLOSURES !== '0';

/** The expression's closures (cel-js's program for what they do not cover), cross-checked if asked. */
function program(env: Environment, expression: string, ast: unknown, interpreted: CelProgram): CelProgram {
  const closures = CLOSURES ? compileClosures(ast, runtimeOf(env), interpreted) : undefined;
  if (closures === undefined) return interpreted;
  return CROSSCHECK ? crossChecked(expression, closures, interpreted) : closures;
}

const MAX_CACHED = 4000;
const caches = new WeakMap<Environment, Map<string, CelCompileResult>>();

/** Parses and type-checks; the result is cached per environment and expression. */
export function compileCel(env: Environment, expression: string): CelCompileResult {
  let cache = caches.get(env);
  if (cache === undefined) caches.set(env, (cache = new Map()));
  const hit = cache.get(expression);
  if (hit !== undefined) return hit;
  let result: CelCompileResult;
  try {
    const parsed = env.parse(expression);
    const identifiers = prepare(parsed.ast);
    const checked = parsed.check() as { valid: boolean; type?: string; error?: Error };
    result = checked.valid
      ? { ok: true, compiled: { program: program(env, expression, parsed.ast, parsed as CelProgram), interpreted: parsed as CelProgram, type: checked.type ?? 'dyn', identifiers, ast: parsed.ast, sync: (parsed.ast as { maybeAsync?: boolean }).maybeAsync === false } }
      : { ok: false, detail: `compilation failed: ${firstLine(checked.error?.message ?? 'invalid expression')}` };
  } catch (err) {
    result = { ok: false, detail: `compilation failed: ${firstLine((err as Error).message)}` };
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(expression, result);
  return result;
}
