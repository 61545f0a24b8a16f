/**
 * matchConditions (CEL), as upstream's webhook/matchconditions matcher: every condition sees
 * `object`, `oldObject`, `request` and `authorizer`; any false skips the webhook; otherwise an
 * error (compile or evaluation) follows the webhook's failurePolicy: Fail is an error, Ignore
 * skips the webhook.
 */
import { compileCel, newCelEnvironment, type CelProgram } from '../../cel/environment.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { AdmissionAttributes } from '../types.ts';
import { CelAuthorizer, registerAuthorizerLibrary } from './cel-authorizer.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';

// The server's shared CEL setup (RE2 `matches`, parse limits): a configuration's patterns
// cannot stall admission with catastrophic backtracking.
const env = registerAuthorizerLibrary(newCelEnvironment({ object: 'dyn', oldObject: 'dyn', request: 'map<string, dyn>' }));

interface Compiled {
  name: string;
  expression: string;
  program?: CelProgram;
  error?: string;
}
export type CompiledConditions = readonly Compiled[];

const firstLine = (s: string): string => s.split('\n')[0]!.trim();

export function compileConditions(conditions: readonly { name: string; expression: string }[] | undefined): CompiledConditions {
  return (conditions ?? []).map(({ name, expression }) => {
    const c = compileCel(env, expression);
    if (!c.ok) return { name, expression, error: c.detail };
    if (c.compiled.type !== 'bool' && c.compiled.type !== 'dyn') return { name, expression, error: 'must evaluate to bool' };
    return { name, expression, program: c.compiled.program };
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
  // utilerrors.NewAggregate(errorList): repeated messages dropped.
  return { matches: false, error: aggregateMessage(errors)! };
}
