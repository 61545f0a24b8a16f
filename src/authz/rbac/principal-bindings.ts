/**
 * The RBAC index's principal table (rbac-index.ts): (scope, principal, 0, 0, 0) → the bindings
 * naming that principal there, in a FlatTable. The value is the binding's number when it is the
 * only one (the usual case), else SEVERAL with the numbers in the payload (removal is rare, lists
 * short). Here are the numbering of principals and the writes (a binding added or removed); the
 * index reads the table itself on its hot path, without a call through this module.
 */
import type { FlatTable } from './flat-table.ts';

/** In the principal table, a value that says the bindings are in the payload array. */
export const SEVERAL = -1;

/** A principal as a number: users even, groups odd. */
export const userNumber = (id: number) => id * 2;
export const groupNumber = (id: number) => id * 2 + 1;

/** Lists binding `id` for the principal in the scope; a binding naming one principal twice is listed once. */
export function addPrincipalBinding(lists: FlatTable<number[]>, scope: number, principal: number, id: number): void {
  const e = lists.find(scope, principal, 0, 0, 0);
  if (e === -1) {
    lists.set(scope, principal, 0, 0, 0, id, undefined);
    return;
  }
  const one = lists.value(e);
  if (one === SEVERAL) {
    const all = lists.payload(e)!;
    if (all[all.length - 1] !== id) all.push(id);
  } else if (one !== id) lists.set(scope, principal, 0, 0, 0, SEVERAL, [one, id]);
}

/** Takes binding `id` off the principal's list in the scope (a list of one goes back to a plain value). */
export function removePrincipalBinding(lists: FlatTable<number[]>, scope: number, principal: number, id: number): void {
  const e = lists.find(scope, principal, 0, 0, 0);
  if (e === -1) return;
  const one = lists.value(e);
  if (one === id) lists.delete(scope, principal, 0, 0, 0);
  if (one !== SEVERAL) return;
  const all = lists.payload(e)!;
  const i = all.indexOf(id);
  if (i === -1) return;
  all.splice(i, 1);
  if (all.length === 1) lists.set(scope, principal, 0, 0, 0, all[0]!, undefined);
}

/** The principal's bindings in the scope (cold paths: rulesFor). */
export function principalBindings(lists: FlatTable<number[]>, scope: number, principal: number): readonly number[] {
  const e = lists.find(scope, principal, 0, 0, 0);
  if (e === -1) return [];
  const one = lists.value(e);
  return one === SEVERAL ? lists.payload(e)! : [one];
}
