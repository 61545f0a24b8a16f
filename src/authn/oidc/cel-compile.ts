/**
 * CEL for AuthenticationConfiguration, as upstream's authentication/cel compiler: claim expressions
 * see `claims` (the verified JWT payload), user validation rules see `user` (the mapped UserInfo).
 * Expressions are parsed and type-checked once, at load time; a rule that must be a boolean and
 * is typed as anything else fails there ("must evaluate to bool"), as upstream's ReturnTypes check.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compileCel, newCelEnvironment, type CelProgram } from '../../cel/environment.ts';

export interface CompiledExpression {
  expression: string;
  program: CelProgram;
  /** The parse tree, for the claims.email / claims.email_verified usage check. */
  ast: unknown;
}

export type CompileResult = { ok: true; compiled: CompiledExpression } | { ok: false; detail: string };

// The server's shared CEL setup (RE2 `matches`, parse limits, optional types): an operator's
// patterns cannot stall authentication with catastrophic backtracking.
const claimsEnv = newCelEnvironment({ claims: 'map<string, dyn>' });
const userEnv = newCelEnvironment({
  user: { schema: { username: 'string', uid: 'string', groups: 'list<string>', extra: 'map<string, list<string>>' } },
});

function compile(env: Environment, expression: string, wantBool: boolean): CompileResult {
  const c = compileCel(env, expression);
  if (!c.ok) return c;
  if (wantBool && c.compiled.type !== 'bool') return { ok: false, detail: 'must evaluate to bool' };
  return { ok: true, compiled: { expression, program: c.compiled.program, ast: c.compiled.ast } };
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
