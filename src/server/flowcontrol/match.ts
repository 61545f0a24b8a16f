/**
 * Whether a request matches a FlowSchema (k8s.io/apiserver/pkg/util/flowcontrol/rule.go): one of
 * its rules matches when one of the rule's subjects is the requester and, for a resource request,
 * one of its resource rules (verb, group, resource[/subresource], namespace or cluster scope), else
 * one of its non-resource rules (verb and URL, `/x/*` a prefix) covers the request.
 */
import type { UserInfo } from '../../authn/types.ts';
import type { RequestInfo } from '../request-info.ts';

type Obj = Record<string, any>;
const SA_PREFIX = 'system:serviceaccount:';
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** `x` is in the list, or the list is exactly the wildcard (validation keeps a wildcard alone). */
function contains(x: string, values: unknown, wildcard: string): boolean {
  const l = list(values);
  if (l.length === 1 && l[0] === wildcard) return true;
  return l.includes(x);
}

export function matchesSubject(user: UserInfo, s: Obj): boolean {
  switch (s?.kind) {
    case 'User':
      return s.user != null && (s.user.name === '*' || s.user.name === user.username);
    case 'Group':
      if (s.group == null) return false;
      return s.group.name === '*' || user.groups.includes(s.group.name);
    case 'ServiceAccount': {
      const sa = s.serviceAccount;
      if (sa == null) return false;
      if (sa.name === '*') return user.username.startsWith(`${SA_PREFIX}${sa.namespace}:`);
      return user.username === `${SA_PREFIX}${sa.namespace}:${sa.name}`;
    }
    default:
      return false;
  }
}

function matchesResourceRule(info: RequestInfo, r: Obj): boolean {
  if (!contains(info.verb, r.verbs, '*')) return false;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  if (!contains(resource, r.resources, '*')) return false;
  if (!contains(info.apiGroup, r.apiGroups, '*')) return false;
  if (!info.namespace) return r.clusterScope === true;
  return contains(info.namespace, r.namespaces, '*');
}

function matchesNonResourceURL(urls: unknown, path: string): boolean {
  for (const u of list(urls)) {
    if (typeof u !== 'string') continue;
    if (u === '*' || u === path) return true;
    let prefix = u.endsWith('*') ? u.slice(0, -1) : u;
    if (!prefix.endsWith('/')) prefix += '/';
    if (path.startsWith(prefix)) return true;
  }
  return false;
}

function matchesRule(info: RequestInfo, user: UserInfo, rule: Obj): boolean {
  if (!list(rule.subjects).some((s) => matchesSubject(user, s as Obj))) return false;
  if (info.isResourceRequest) return list(rule.resourceRules).some((r) => matchesResourceRule(info, r as Obj));
  return list(rule.nonResourceRules).some((r) => contains(info.verb, (r as Obj).verbs, '*') && matchesNonResourceURL((r as Obj).nonResourceURLs, info.path));
}

/** Whether any rule of the FlowSchema spec matches the request. */
export function matchesFlowSchema(spec: Obj, info: RequestInfo, user: UserInfo): boolean {
  return list(spec?.rules).some((r) => matchesRule(info, user, r as Obj));
}
