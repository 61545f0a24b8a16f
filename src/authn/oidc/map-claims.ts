/**
 * From verified claims to a user, upstream's order: username, groups, uid, extra; then required
 * claims, claim validation rules, user validation rules. Any failure is an error with upstream's
 * message; the caller turns it into a rejection.
 */
import type { UserInfo } from '../types.ts';
import type { CompiledExpression } from './cel-compile.ts';
import type { CompiledJwt } from './validate-jwt.ts';

export class ClaimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimError';
  }
}

type Claims = Readonly<Record<string, unknown>>;

/** JSON integers become CEL ints (BigInt), as upstream's unstructured conversion makes them int64. */
function toCel(v: unknown): unknown {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

function evaluate(cel: CompiledExpression, vars: Record<string, unknown>, what: string): unknown {
  try {
    return cel.program(vars);
  } catch (err) {
    throw new ClaimError(`oidc: error evaluating ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** A string or list of strings; "" and [] mean absent (upstream's convertCELValueToStringList). */
function stringList(v: unknown, what: string): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.filter((x) => x !== '');
  throw new ClaimError(`oidc: error evaluating ${what}: expression must return a string or a list of strings`);
}

function claimString(c: Claims, name: string, what: string): string {
  if (!(name in c)) throw new ClaimError(`oidc: parse ${what} ${JSON.stringify(name)}: claim not present`);
  const v = c[name];
  if (typeof v !== 'string') throw new ClaimError(`oidc: parse ${what} ${JSON.stringify(name)}: claim is not a string`);
  return v;
}

function username(j: CompiledJwt, c: Claims, celVars: () => Record<string, unknown>): string {
  const m = j.username;
  if (m.kind === 'cel') {
    const v = evaluate(m.cel, celVars(), 'username claim expression');
    if (typeof v !== 'string') throw new ClaimError('oidc: error evaluating username claim expression: username claim expression must return a string');
    return v;
  }
  const name = claimString(c, m.claim, 'username claims');
  if (m.claim === 'email' && 'email_verified' in c) {
    // OIDC Core 5.1: an unverified address is a claim by the user, not by the issuer.
    if (typeof c.email_verified !== 'boolean') throw new ClaimError("oidc: parse 'email_verified' claim: not a boolean");
    if (!c.email_verified) throw new ClaimError('oidc: email not verified');
  }
  return m.prefix + name;
}

function groups(j: CompiledJwt, c: Claims, celVars: () => Record<string, unknown>): string[] {
  const m = j.groups;
  if (!m) return [];
  if (m.kind === 'cel') return stringList(evaluate(m.cel, celVars(), 'group claim expression'), 'group claim expression');
  if (!(m.claim in c)) return [];
  // A single string is accepted as one group (kubernetes#33290).
  const v = c[m.claim];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((g) => typeof g === 'string')) {
    throw new ClaimError(`oidc: parse groups claim ${JSON.stringify(m.claim)}: not a string or a list of strings`);
  }
  return list.map((g) => m.prefix + g);
}

function uid(j: CompiledJwt, c: Claims, celVars: () => Record<string, unknown>): string | undefined {
  const m = j.uid;
  if (!m) return undefined;
  if (m.kind === 'claim') return claimString(c, m.claim, 'uid claim');
  const v = evaluate(m.cel, celVars(), 'uid claim expression');
  if (typeof v !== 'string') throw new ClaimError('oidc: error evaluating uid claim expression: uid claim expression must return a string');
  return v;
}

function failedRule(expression: string, message: string): string {
  return `validation expression '${expression}' failed: ${message}`;
}

export function mapClaims(j: CompiledJwt, c: Claims): UserInfo {
  let vars: Record<string, unknown> | undefined;
  const celVars = () => (vars ??= { claims: toCel(c) });
  const user: UserInfo = { username: username(j, c, celVars), groups: groups(j, c, celVars) };
  const id = uid(j, c, celVars);
  if (id) user.uid = id;
  const extra: Record<string, string[]> = {};
  for (const e of j.extra) {
    const values = stringList(evaluate(e.cel, celVars(), 'extra claim expression'), `extra claim expression: ${e.cel.expression}`);
    if (values.length > 0) extra[e.key] = values;
  }
  if (Object.keys(extra).length > 0) user.extra = extra;

  for (const { claim, value } of j.requiredClaims) {
    if (!(claim in c)) throw new ClaimError(`oidc: required claim ${claim} not present in ID token`);
    const got = c[claim];
    if (typeof got !== 'string') throw new ClaimError(`oidc: parse claim ${claim}: not a string`);
    if (got !== value) throw new ClaimError(`oidc: required claim ${claim} value does not match. Got = ${got}, want = ${value}`);
  }
  for (const r of j.claimRules) {
    const ok = evaluate(r.cel, celVars(), 'claim validation expression');
    if (typeof ok !== 'boolean') throw new ClaimError('oidc: error evaluating claim validation expression: validation expression must return a boolean');
    if (!ok) throw new ClaimError(`oidc: error evaluating claim validation expression: ${failedRule(r.cel.expression, r.message)}`);
  }
  if (j.userRules.length > 0) {
    const u = { user: { username: user.username, uid: user.uid ?? '', groups: user.groups, extra: user.extra ?? {} } };
    for (const r of j.userRules) {
      const ok = evaluate(r.cel, u, 'user info validation rule');
      if (typeof ok !== 'boolean') throw new ClaimError('oidc: error evaluating user info validation rule: validation expression must return a boolean');
      if (!ok) throw new ClaimError(`oidc: error evaluating user info validation rule: ${failedRule(r.cel.expression, r.message)}`);
    }
  }
  // An empty name would be nobody in particular; refuse rather than authenticate it.
  if (user.username === '') throw new ClaimError('oidc: username is empty');
  return user;
}
