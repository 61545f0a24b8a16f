/**
 * matchConditions (CEL), as upstream's webhook/matchconditions matcher: every condition sees
 * `object`, `oldObject`, `request` and `authorizer`; any false skips the webhook; otherwise an
 * error (compile or evaluation) follows the webhook's failurePolicy: Fail is an error, Ignore
 * skips the webhook.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { Authorizer } from '../../authz/types.ts';
import type { AdmissionAttributes } from '../types.ts';
import { CelAuthorizer, registerAuthorizerLibrary } from './cel-authorizer.ts';

const LIMITS = { maxAstNodes: 10_000, maxDepth: 100, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 };

const env = registerAuthorizerLibrary(
  new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: LIMITS })
    .registerVariable('object', 'dyn')
    .registerVariable('oldObject', 'dyn')
    .registerVariable('request', 'map<string, dyn>'),
);

type Program = (vars: Record<string, unknown>) => unknown;
interface Compiled {
  name: string;
  expression: string;
  program?: Program;
  error?: string;
}
export type CompiledConditions = readonly Compiled[];

const firstLine = (s: string): string => s.split('\n')[0]!.trim();

export function compileConditions(conditions: readonly { name: string; expression: string }[] | undefined): CompiledConditions {
  return (conditions ?? []).map(({ name, expression }) => {
    try {
      const checked = env.check(expression) as { valid: boolean; type?: string; error?: Error };
      if (!checked.valid) return { name, expression, error: `compilation failed: ${firstLine(checked.error?.message ?? 'invalid expression')}` };
      if (checked.type !== 'bool' && checked.type !== 'dyn') return { name, expression, error: 'must evaluate to bool' };
      const parsed = env.parse(expression);
      return { name, expression, program: (vars) => parsed(vars) };
    } catch (err) {
      return { name, expression, error: `compilation failed: ${firstLine((err as Error).message)}` };
    }
  });
}

export type MatchResult = { matches: true } | { matches: false; failedCondition?: string } | { matches: false; error: string };

/** `request` is the AdmissionRequest as the webhook would receive it, without the objects. */
export async function matchConditions(
  conditions: CompiledConditions,
  a: AdmissionAttributes,
  request: Record<string, unknown>,
  authorizer: Authorizer,
  failOpen: boolean,
): Promise<MatchResult> {
  if (conditions.length === 0) return { matches: true };
  const vars = {
    object: a.object ?? null,
    oldObject: a.oldObject ?? null,
    request,
    authorizer: new CelAuthorizer(authorizer, a.user, {
      group: a.resource.group,
      resource: a.resource.resource,
      subresource: a.subresource,
      namespace: a.namespace,
      name: a.name,
    }),
  };
  const errors: string[] = [];
  for (const c of conditions) {
    if (!c.program) {
      errors.push(`expression '${c.expression}' resulted in error: ${c.error}`);
      continue;
    }
    let v: unknown;
    try {
      v = await c.program(vars);
    } catch (err) {
      errors.push(`expression '${c.expression}' resulted in error: ${firstLine((err as Error).message)}`);
      continue;
    }
    if (v === false) return { matches: false, failedCondition: c.name };
    if (v !== true) errors.push(`expression '${c.expression}' resulted in error: must evaluate to bool`);
  }
  if (errors.length === 0) return { matches: true };
  if (failOpen) return { matches: false };
  return { matches: false, error: errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]` };
}
