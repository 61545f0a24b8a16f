/**
 * CEL for AuthenticationConfiguration, as upstream's authentication/cel compiler: claim expressions
 * see `claims` (the verified JWT payload), user validation rules see `user` (the mapped UserInfo).
 * Expressions are parsed and type-checked once, at load time; a rule that must be a boolean and
 * is typed as anything else fails there ("must evaluate to bool"), as upstream's ReturnTypes check.
 */
import { Environment } from '@marcbachmann/cel-js';

export type CelProgram = (vars: Record<string, unknown>) => unknown;

export interface CompiledExpression {
  expression: string;
  program: CelProgram;
  /** The parse tree, for the claims.email / claims.email_verified usage check. */
  ast: unknown;
}

export type CompileResult = { ok: true; compiled: CompiledExpression } | { ok: false; detail: string };

const LIMITS = { maxAstNodes: 10_000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 };

function newEnv(): Environment {
  // Optional types (`claims.?x.orValue("")`) are part of Kubernetes' CEL base environment.
  return new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: LIMITS });
}

const claimsEnv = newEnv().registerVariable('claims', 'map<string, dyn>');
const userEnv = newEnv().registerVariable({
  name: 'user',
  schema: { username: 'string', uid: 'string', groups: 'list<string>', extra: 'map<string, list<string>>' },
});

const firstLine = (s: string): string => s.split('\n')[0]!.trim();

function compile(env: Environment, expression: string, wantBool: boolean): CompileResult {
  let checked: { valid: boolean; type?: string; error?: Error };
  try {
    checked = env.check(expression) as typeof checked;
  } catch (err) {
    return { ok: false, detail: `compilation failed: ${firstLine((err as Error).message)}` };
  }
  if (!checked.valid) return { ok: false, detail: `compilation failed: ${firstLine(checked.error?.message ?? 'invalid expression')}` };
  if (wantBool && checked.type !== 'bool') return { ok: false, detail: 'must evaluate to bool' };
  const parsed = env.parse(expression);
  return { ok: true, compiled: { expression, program: (vars) => parsed(vars), ast: parsed.ast } };
}

/** claimMappings.*.expression, claimMappings.extra[*].valueExpression: any type, checked when evaluated. */
export const compileClaimMapping = (expression: string): CompileResult => compile(claimsEnv, expression, false);
/** claimValidationRules[*].expression */
export const compileClaimValidation = (expression: string): CompileResult => compile(claimsEnv, expression, true);
/** userValidationRules[*].expression */
export const compileUserValidation = (expression: string): CompileResult => compile(userEnv, expression, true);

interface AstNode {
  op: string;
  args: unknown;
}

const isNode = (x: unknown): x is AstNode => typeof x === 'object' && x !== null && 'op' in x && 'args' in x;

/** Whether the expression selects `claims.<field>` (or `claims.?<field>`) anywhere; upstream's hasSelectExp. */
export function selectsClaim(ast: unknown, field: string): boolean {
  const walk = (x: unknown): boolean => {
    if (Array.isArray(x)) return x.some(walk);
    if (!isNode(x)) return false;
    if ((x.op === '.' || x.op === '.?') && Array.isArray(x.args)) {
      const [operand, name] = x.args as [unknown, unknown];
      if (isNode(operand) && operand.op === 'id' && operand.args === 'claims' && name === field) return true;
    }
    return walk(x.args);
  };
  return walk(ast);
}
