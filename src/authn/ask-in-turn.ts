import type { AuthnResult, MaybePromise } from './types.ts';
import { AuthnError, isPending } from './types.ts';

/**
 * Asks `members` in order, from `start`, for the first answer that is not no-opinion; none gives
 * `none()`. A member that throws or whose promise rejects is a rejection in its name (fail closed:
 * an error never falls through to the next member). While members answer at once so does this;
 * the first that answers with a promise is awaited and the rest are asked after it, so the order,
 * the answers and the failures are exactly those of awaiting each member in turn.
 */
export function askInTurn<M extends { readonly name: string }>(
  members: readonly M[],
  start: number,
  ask: (m: M) => MaybePromise<AuthnResult>,
  none: () => AuthnResult,
): MaybePromise<AuthnResult> {
  for (let i = start; i < members.length; i++) {
    const m = members[i]!;
    let r: MaybePromise<AuthnResult>;
    try {
      r = ask(m);
    } catch (err) {
      return failed(m.name, err);
    }
    if (isPending(r)) {
      return Promise.resolve(r).then(
        (x) => (x.kind !== 'no-opinion' ? x : askInTurn(members, i + 1, ask, none)),
        (err: unknown) => failed(m.name, err),
      );
    }
    if (r.kind !== 'no-opinion') return r;
  }
  return none();
}

function failed(method: string, err: unknown): AuthnResult {
  return { kind: 'rejected', method, error: new AuthnError('Internal', (err as Error).message) };
}
