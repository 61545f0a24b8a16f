/**
 * Who can VERB RESOURCE under a Casbin model: every principal the policy names (a "user:…" or
 * "group:…" value in any p or g line), plus "*" for anyone the policy does not name, asked one
 * by one with the `sub` token set to it. Lists allows and denies, each with the line that
 * decided. Models without a `sub` token have no principals to enumerate and are refused.
 */
import type { AuthzAttributes } from '../types.ts';
import type { WhoCanQuery } from '../who-can.ts';
import type { CasbinDecision, CasbinEngine } from './engine.ts';
import type { RequestContext } from './request.ts';

export interface CasbinWhoCanEntry {
  /** "user:ann", "group:dev", or "*" (anyone the policy does not name). */
  principal: string;
  decision: 'allow' | 'deny';
  line: NonNullable<CasbinDecision['line']>;
}

/** A principal no policy line can name, standing for everyone else. */
const NOBODY = 'user:\u0000anyone';

export function casbinWhoCan(engine: CasbinEngine, q: WhoCanQuery, ctx: RequestContext): CasbinWhoCanEntry[] {
  if (!engine.model.requestTokens.includes('sub')) throw new Error(`${engine.model.source}: who-can enumerates principals through the "sub" request token, which this model does not have`);
  const named = new Set<string>();
  for (const l of engine.lines) for (const v of l.values) if (v.startsWith('user:') || v.startsWith('group:')) named.add(v);
  const out: CasbinWhoCanEntry[] = [];
  for (const principal of [...[...named].sort(), '*']) {
    const sub = principal === '*' ? NOBODY : principal;
    const user = sub.startsWith('user:') ? { username: sub.slice(5), groups: [] } : { username: '', groups: [sub.slice(6)] };
    const d = engine.decideFor(attributes(q, user), sub, ctx);
    if (d.decision !== 'no-opinion' && d.line) out.push({ principal, decision: d.decision, line: d.line });
  }
  return out;
}

function attributes(q: WhoCanQuery, user: AuthzAttributes['user']): AuthzAttributes {
  if (q.nonResourceURL !== undefined) return { user, verb: q.verb, isResourceRequest: false, path: q.nonResourceURL, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
  return { user, verb: q.verb, isResourceRequest: true, path: '', apiGroup: q.group, apiVersion: '', namespace: q.namespace, resource: q.resource, subresource: q.subresource, name: q.name ?? '' };
}
