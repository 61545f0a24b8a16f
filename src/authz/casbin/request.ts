/**
 * The request attributes a Casbin model may name in its request definition, by token name. A
 * model naming any other token is refused at load: a token we silently left empty could make a
 * deny line never match.
 *
 * `sub` is special: the request is enforced once per principal of the requester ("user:<name>",
 * then "group:<g>" for each group, as policies/authz/rbac.conf spells them) and the answers are
 * combined (casbin-engine.ts), so a line may grant a group as it grants a user.
 */
import type { AuthzAttributes } from '../types.ts';

export const REQUEST_TOKENS = ['sub', 'user', 'groups', 'verb', 'namespace', 'apiGroup', 'resource', 'subresource', 'name', 'path', 'nsLabels', 'time', 'weekday'] as const;
export type RequestToken = (typeof REQUEST_TOKENS)[number];

/** What the authorizer knows besides the request: the namespace's labels and the time. */
export interface RequestContext {
  /** Labels of the request's namespace ({} when cluster-scoped or not found). */
  nsLabels: Readonly<Record<string, string>>;
  now: Date;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** The principals `sub` takes in turn. */
export function principals(a: Readonly<AuthzAttributes>): string[] {
  return [`user:${a.user.username}`, ...a.user.groups.map((g) => `group:${g}`)];
}

/** Checks a request definition's tokens; returns them typed. */
export function checkRequestTokens(tokens: readonly string[], where: string): RequestToken[] {
  for (const t of tokens) {
    if (!(REQUEST_TOKENS as readonly string[]).includes(t)) throw new Error(`${where}: request definition names "${t}", which Portcullis does not supply (known: ${REQUEST_TOKENS.join(', ')})`);
  }
  return tokens as RequestToken[];
}

/**
 * The request values in the order of `tokens`, `sub` set to `sub`. `time` is "HH:MM" and
 * `weekday` "Mon".."Sun", both in UTC so a decision does not depend on the server's zone.
 */
export function requestValues(tokens: readonly RequestToken[], a: Readonly<AuthzAttributes>, sub: string, ctx: RequestContext): unknown[] {
  return fillRequestValues(tokens, a, sub, ctx, new Array<unknown>(tokens.length));
}

/** requestValues() into `out` (the engine reuses one array: a decision is synchronous). */
export function fillRequestValues(tokens: readonly RequestToken[], a: Readonly<AuthzAttributes>, sub: string, ctx: RequestContext, out: unknown[]): unknown[] {
  for (let i = 0; i < tokens.length; i++) out[i] = requestValue(tokens[i]!, a, sub, ctx);
  return out;
}

/**
 * One case per token, each a plain property load: `a[t]` with `t` a variable is a megamorphic
 * keyed load (a stub-cache lookup per value, a fifth of a decision's own work at 100k lines).
 */
function requestValue(t: RequestToken, a: Readonly<AuthzAttributes>, sub: string, ctx: RequestContext): unknown {
  switch (t) {
    case 'sub':
      return sub;
    case 'user':
      return a.user.username;
    case 'groups':
      return a.user.groups;
    case 'time':
      return `${pad(ctx.now.getUTCHours())}:${pad(ctx.now.getUTCMinutes())}`;
    case 'weekday':
      return WEEKDAYS[ctx.now.getUTCDay()];
    case 'nsLabels':
      return ctx.nsLabels;
    case 'path':
      return a.isResourceRequest ? '' : a.path;
    case 'verb':
      return a.verb;
    case 'namespace':
      return a.namespace;
    case 'apiGroup':
      return a.apiGroup;
    case 'resource':
      return a.resource;
    case 'subresource':
      return a.subresource;
    case 'name':
      return a.name;
    default: {
      // Every token has its case (checkRequestTokens refuses any other).
      const unknownToken: never = t;
      return unknownToken;
    }
  }
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
