/**
 * Whether a request matches a FlowSchema (k8s.io/apiserver/pkg/util/flowcontrol/rule.go): one of
 * its rules matches when one of the rule's subjects is the requester and, for a resource request,
 * one of its resource rules (verb, group, resource[/subresource], namespace or cluster scope), else
 * one of its non-resource rules (verb and URL, `/x/*` a prefix) covers the request.
 *
 * Every request is classified, walking the FlowSchemas in precedence order, so a FlowSchema is
 * compiled once per configuration (compileFlowSchema): its lists become sets, its ServiceAccount
 * names and URL prefixes strings made once, instead of being re-read per request.
 */
import type { UserInfo } from '../../authn/types.ts';
import type { RequestInfo } from '../request-info.ts';

type Obj = Record<string, any>;
const SA_PREFIX = 'system:serviceaccount:';
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export type RequestMatcher = (info: RequestInfo, user: UserInfo) => boolean;
type StringTest = (x: string) => boolean;
const always = () => true;
const never = () => false;

/** `x` is in the list, or the list is exactly the wildcard (validation keeps a wildcard alone). */
function containsTest(values: unknown, wildcard: string): StringTest {
  const l = list(values);
  if (l.length === 1 && l[0] === wildcard) return always;
  if (l.length === 0) return never;
  if (l.length === 1) {
    const only = l[0];
    return (x) => x === only;
  }
  const set = new Set(l);
  return (x) => set.has(x);
}

type SubjectTest = (user: UserInfo) => boolean;

function compileSubject(s: Obj): SubjectTest {
  switch (s?.kind) {
    case 'User': {
      if (s.user == null) return never;
      const name = s.user.name;
      return name === '*' ? always : (user) => name === user.username;
    }
    case 'Group': {
      if (s.group == null) return never;
      const name = s.group.name;
      return name === '*' ? always : (user) => user.groups.includes(name);
    }
    case 'ServiceAccount': {
      const sa = s.serviceAccount;
      if (sa == null) return never;
      if (sa.name === '*') {
        const prefix = `${SA_PREFIX}${sa.namespace}:`;
        return (user) => user.username.startsWith(prefix);
      }
      const full = `${SA_PREFIX}${sa.namespace}:${sa.name}`;
      return (user) => user.username === full;
    }
    default:
      return never;
  }
}

export function matchesSubject(user: UserInfo, s: Obj): boolean {
  return compileSubject(s)(user);
}

function compileResourceRule(r: Obj): RequestMatcher {
  const verb = containsTest(r.verbs, '*');
  const resource = containsTest(r.resources, '*');
  const group = containsTest(r.apiGroups, '*');
  const clusterScope = r.clusterScope === true;
  const namespace = containsTest(r.namespaces, '*');
  return (info) => {
    if (!verb(info.verb)) return false;
    if (!resource(info.subresource ? `${info.resource}/${info.subresource}` : info.resource)) return false;
    if (!group(info.apiGroup)) return false;
    if (!info.namespace) return clusterScope;
    return namespace(info.namespace);
  };
}

function compileNonResourceRule(r: Obj): RequestMatcher {
  const verb = containsTest(r.verbs, '*');
  const exact: string[] = [];
  const prefixes: string[] = [];
  let any = false;
  for (const u of list(r.nonResourceURLs)) {
    if (typeof u !== 'string') continue;
    if (u === '*') any = true;
    exact.push(u);
    let prefix = u.endsWith('*') ? u.slice(0, -1) : u;
    if (!prefix.endsWith('/')) prefix += '/';
    prefixes.push(prefix);
  }
  return (info) => verb(info.verb) && (any || exact.includes(info.path) || prefixes.some((p) => info.path.startsWith(p)));
}

function compileRule(rule: Obj): RequestMatcher {
  const subjects = list(rule.subjects).map((s) => compileSubject(s as Obj));
  const resourceRules = list(rule.resourceRules).map((r) => compileResourceRule(r as Obj));
  const nonResourceRules = list(rule.nonResourceRules).map((r) => compileNonResourceRule(r as Obj));
  return (info, user) => {
    if (!subjects.some((s) => s(user))) return false;
    const rules = info.isResourceRequest ? resourceRules : nonResourceRules;
    for (const r of rules) if (r(info, user)) return true;
    return false;
  };
}

/** The FlowSchema spec's test, made once: the spec is read now and never again. */
export function compileFlowSchema(spec: Obj): RequestMatcher {
  const rules = list(spec?.rules).map((r) => compileRule(r as Obj));
  return (info, user) => {
    for (const r of rules) if (r(info, user)) return true;
    return false;
  };
}

/** Whether any rule of the FlowSchema spec matches the request. */
export function matchesFlowSchema(spec: Obj, info: RequestInfo, user: UserInfo): boolean {
  return compileFlowSchema(spec)(info, user);
}
