/**
 * SelfSubjectRulesReview (`kubectl auth can-i --list`) for the Casbin mode: the allow lines of a
 * compiled model that apply to the user in the namespace, read back into rules through the
 * matcher's terms. A line applies when its terms on who and where (sub, user, namespace, and
 * functions of those, nsLabels, time and weekday, evaluated now) hold; its terms on what (verb,
 * apiGroup, resource, subresource, name, path) become the rule, an absent or "*" field a "*".
 * What cannot be shown is reported as upstream's incomplete with an evaluationError: a model
 * that is not compiled, a line with a function of what (keyMatch on resource…), and deny lines
 * (rules cannot subtract).
 */
import type { UserInfo } from '../../authn/types.ts';
import type { NonResourceRule, ResourceRule, RulesReviewStatus } from '../rbac/rules-review.ts';
import type { CasbinEngine } from './engine.ts';
import { principals, REQUEST_TOKENS, requestValues, type RequestContext, type RequestToken } from './request.ts';

const WHO_WHERE = new Set<RequestToken>(['sub', 'user', 'groups', 'namespace', 'nsLabels', 'time', 'weekday']);
const RULE_FIELDS = ['verb', 'apiGroup', 'resource', 'subresource', 'name', 'path'] as const;

export function casbinRulesReview(engine: CasbinEngine, user: UserInfo, namespace: string, ctx: RequestContext): RulesReviewStatus {
  const index = engine.compiled;
  if (!index) return { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: `Casbin: rules are listed for models compiled to an index only (${engine.model.source} is decided by casbin's enforcer)` };
  const tokens = engine.model.requestTokens;
  const tokenAt = (i: number) => tokens[i]!;
  const p = engine.lines.filter((l) => l.ptype === 'p');
  const errors = new Set<string>();
  const resourceRules = new Map<string, ResourceRule>();
  const nonResourceRules = new Map<string, NonResourceRule>();
  const attrs = { user, verb: '', isResourceRequest: true, path: '', apiGroup: '', apiVersion: '', namespace, resource: '', subresource: '', name: '' };
  for (const sub of tokens.includes('sub') ? principals(attrs) : ['']) {
    const r = requestValues(tokens, attrs, sub, ctx);
    lines: for (let i = 0; i < p.length; i++) {
      const row = p[i]!.values;
      const fields: Partial<Record<(typeof RULE_FIELDS)[number], string>> = {};
      for (const t of index.terms) {
        if (t.kind === 'eq') {
          const token = tokenAt(t.r);
          const v = row[t.p]!;
          if (WHO_WHERE.has(token)) {
            if (!(r[t.r] === v || (t.wild && v === '*'))) continue lines;
          } else fields[token as (typeof RULE_FIELDS)[number]] = t.wild && v === '*' ? '*' : v;
        } else if (t.args.every((a) => !('r' in a) || WHO_WHERE.has(tokenAt(a.r)))) {
          if (!t.fn(...t.args.map((a) => ('r' in a ? r[a.r] : row[a.p])))) continue lines;
        } else {
          errors.add(`Casbin: ${p[i]!.source} matches through a function of the request's ${t.args.flatMap((a) => ('r' in a ? [tokenAt(a.r)] : [])).join(', ')} and is not listed`);
          continue lines;
        }
      }
      const eft = index.effectOf(i);
      if (eft === -1) errors.add('Casbin: deny lines apply and are not shown as rules');
      if (eft !== 1) continue;
      const verbs = [fields.verb ?? '*'];
      if (fields.path !== undefined && fields.path !== '' && fields.resource === undefined) {
        const rule = { verbs, nonResourceURLs: [fields.path] };
        nonResourceRules.set(JSON.stringify(rule), rule);
        continue;
      }
      const resource = fields.resource ?? '*';
      const rule: ResourceRule = { verbs, apiGroups: [fields.apiGroup ?? '*'], resources: [fields.subresource && fields.subresource !== '*' ? `${resource}/${fields.subresource}` : resource] };
      if (fields.name && fields.name !== '*') rule.resourceNames = [fields.name];
      resourceRules.set(JSON.stringify(rule), rule);
    }
  }
  const status: RulesReviewStatus = { resourceRules: [...resourceRules.values()], nonResourceRules: [...nonResourceRules.values()], incomplete: errors.size > 0 };
  if (errors.size) status.evaluationError = [...errors].join('; ');
  return status;
}

// Every token is either who/where or a rule field; a new token must be placed in one of them.
for (const t of REQUEST_TOKENS) if (!WHO_WHERE.has(t) && !(RULE_FIELDS as readonly string[]).includes(t)) throw new Error(`request token ${t} is neither who/where nor a rule field`);
