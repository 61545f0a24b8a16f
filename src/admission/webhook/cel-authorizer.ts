/**
 * The part of Kubernetes' CEL authorizer library (apiserver/pkg/cel/library/authz.go) that match
 * conditions use: `authorizer.group(g).resource(r)[.subresource(s)][.namespace(n)][.name(x)]
 * .check(verb).allowed()`, `authorizer.path(p).check(verb)`, `authorizer.serviceAccount(ns, n)`
 * and `authorizer.requestResource`, with the AuthzSelectors additions `.fieldSelector(s)` and
 * `.labelSelector(s)` on a resource check (apiserver/pkg/cel/library/authz_selectors.go; parsed
 * as a request's selectors are). Checks run against the server's authorizer chain as the
 * requesting user (or the named service account).
 */
import type { Environment } from '@marcbachmann/cel-js';
import type { UserInfo } from '../../authn/types.ts';
import { selectorAttributes, type SelectorAttributes } from '../../authz/selector-attributes.ts';
import type { Authorizer as AuthzChain } from '../../authz/types.ts';

const NS = 'kubernetes.authorization';

export class CelAuthorizer {
  readonly authz: AuthzChain;
  readonly user: UserInfo;
  /** The resource of the request being admitted, for `authorizer.requestResource.check(...)`. */
  readonly requestResource: CelResourceCheck | undefined;
  constructor(authz: AuthzChain, user: UserInfo, request?: { group: string; resource: string; subresource: string; namespace: string; name: string }) {
    this.authz = authz;
    this.user = user;
    this.requestResource = request && new CelResourceCheck(this, request.group, request.resource, request.subresource, request.namespace, request.name);
  }
}

export class CelPathCheck {
  readonly a: CelAuthorizer;
  readonly path: string;
  constructor(a: CelAuthorizer, path: string) {
    this.a = a;
    this.path = path;
  }
}

export class CelGroupCheck {
  readonly a: CelAuthorizer;
  readonly group: string;
  constructor(a: CelAuthorizer, group: string) {
    this.a = a;
    this.group = group;
  }
}

export class CelResourceCheck {
  readonly a: CelAuthorizer;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  readonly fieldSelector: string;
  readonly labelSelector: string;
  constructor(a: CelAuthorizer, group: string, resource: string, subresource = '', namespace = '', name = '', fieldSelector = '', labelSelector = '') {
    this.a = a;
    this.group = group;
    this.resource = resource;
    this.subresource = subresource;
    this.namespace = namespace;
    this.name = name;
    this.fieldSelector = fieldSelector;
    this.labelSelector = labelSelector;
  }
  with(p: Partial<Pick<CelResourceCheck, 'subresource' | 'namespace' | 'name' | 'fieldSelector' | 'labelSelector'>>): CelResourceCheck {
    return new CelResourceCheck(this.a, this.group, this.resource, p.subresource ?? this.subresource, p.namespace ?? this.namespace, p.name ?? this.name, p.fieldSelector ?? this.fieldSelector, p.labelSelector ?? this.labelSelector);
  }
}

export class CelDecision {
  readonly decision: string;
  readonly reason: string;
  readonly error: string;
  constructor(decision: string, reason: string, error = '') {
    this.decision = decision;
    this.reason = reason;
    this.error = error;
  }
}

async function decide(a: CelAuthorizer, attrs: { verb: string; isResourceRequest: boolean; path: string; apiGroup: string; namespace: string; resource: string; subresource: string; name: string } & SelectorAttributes): Promise<CelDecision> {
  try {
    const r = await a.authz.authorize({ user: a.user, apiVersion: '*', ...attrs });
    return new CelDecision(r.decision, r.reason);
  } catch (err) {
    return new CelDecision('no-opinion', '', (err as Error).message);
  }
}

/** Registers the library's types and functions on `env`; `authorizer` becomes a variable. */
export function registerAuthorizerLibrary(env: Environment): Environment {
  const T = (n: string) => `${NS}.${n}`;
  return env
    .registerType(T('Authorizer'), CelAuthorizer)
    .registerType(T('PathCheck'), CelPathCheck)
    .registerType(T('GroupCheck'), CelGroupCheck)
    .registerType(T('ResourceCheck'), CelResourceCheck)
    .registerType(T('Decision'), CelDecision)
    .registerVariable('authorizer', T('Authorizer'))
    .registerFunction(`${T('Authorizer')}.path(string): ${T('PathCheck')}`, (a: CelAuthorizer, p: string) => new CelPathCheck(a, p))
    .registerFunction(`${T('Authorizer')}.group(string): ${T('GroupCheck')}`, (a: CelAuthorizer, g: string) => new CelGroupCheck(a, g))
    .registerFunction(`${T('Authorizer')}.serviceAccount(string, string): ${T('Authorizer')}`, (a: CelAuthorizer, ns: string, name: string) =>
      new CelAuthorizer(a.authz, { username: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`] }))
    .registerFunction(`${T('GroupCheck')}.resource(string): ${T('ResourceCheck')}`, (g: CelGroupCheck, r: string) => new CelResourceCheck(g.a, g.group, r))
    .registerFunction(`${T('ResourceCheck')}.subresource(string): ${T('ResourceCheck')}`, (r: CelResourceCheck, s: string) => r.with({ subresource: s }))
    .registerFunction(`${T('ResourceCheck')}.namespace(string): ${T('ResourceCheck')}`, (r: CelResourceCheck, s: string) => r.with({ namespace: s }))
    .registerFunction(`${T('ResourceCheck')}.name(string): ${T('ResourceCheck')}`, (r: CelResourceCheck, s: string) => r.with({ name: s }))
    .registerFunction(`${T('ResourceCheck')}.fieldSelector(string): ${T('ResourceCheck')}`, (r: CelResourceCheck, s: string) => r.with({ fieldSelector: s }))
    .registerFunction(`${T('ResourceCheck')}.labelSelector(string): ${T('ResourceCheck')}`, (r: CelResourceCheck, s: string) => r.with({ labelSelector: s }))
    .registerFunction(`${T('ResourceCheck')}.check(string): ${T('Decision')}`, (r: CelResourceCheck, verb: string) =>
      decide(r.a, { verb, isResourceRequest: true, path: '', apiGroup: r.group, namespace: r.namespace, resource: r.resource, subresource: r.subresource, name: r.name, ...selectorAttributes(r) }))
    .registerFunction(`${T('PathCheck')}.check(string): ${T('Decision')}`, (p: CelPathCheck, verb: string) =>
      decide(p.a, { verb, isResourceRequest: false, path: p.path, apiGroup: '', namespace: '', resource: '', subresource: '', name: '' }))
    .registerFunction(`${T('Decision')}.allowed(): bool`, (d: CelDecision) => d.decision === 'allow')
    .registerFunction(`${T('Decision')}.reason(): string`, (d: CelDecision) => d.reason)
    .registerFunction(`${T('Decision')}.errored(): bool`, (d: CelDecision) => d.error !== '')
    .registerFunction(`${T('Decision')}.error(): string`, (d: CelDecision) => d.error);
}
