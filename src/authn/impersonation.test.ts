import { test } from 'node:test';
import assert from 'node:assert/strict';
import { impersonate, stripImpersonationHeaders } from './impersonation.ts';
import { rawHeaderMap } from './raw-headers.ts';
import { ApiError } from '../api/errors.ts';
import type { AuthzAttributes } from '../authz/types.ts';
import type { UserInfo } from './types.ts';

const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };

/** Allows the listed "resource/subresource:namespace/name" keys; records every question asked. */
function policy(allowed: string[]) {
  const asked: string[] = [];
  const key = (a: AuthzAttributes) => `${a.apiGroup}|${a.resource}${a.subresource ? `/${a.subresource}` : ''}:${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
  return {
    asked,
    authorize: async (a: AuthzAttributes) => {
      assert.equal(a.verb, 'impersonate');
      assert.equal(a.user.username, 'alice');
      asked.push(key(a));
      return allowed.includes(key(a));
    },
  };
}

const h = (...pairs: string[]) => rawHeaderMap(pairs);
/** The Latin-1 string Node's HTTP parser makes of these UTF-8 bytes. */
const wire = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

test('no impersonation headers: undefined, nothing asked', async () => {
  const p = policy([]);
  assert.equal(await impersonate(h('Accept', 'x'), alice, p.authorize), undefined);
  assert.deepEqual(p.asked, []);
});

test('no impersonation headers: only the names are looked at, no value is read', async () => {
  const p = policy([]);
  const read: string[] = [];
  const headers = new Proxy(h('Accept', 'x', 'User-Agent', 'kubectl/v1.33'), {
    get(target, prop, receiver) {
      read.push(String(prop));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  assert.equal(await impersonate(headers, alice, p.authorize), undefined);
  assert.deepEqual(read, []);
});

const allowedCases: { name: string; headers: string[]; allow: string[]; want: UserInfo; asked: string[] }[] = [
  {
    name: 'user only gains system:authenticated',
    headers: ['Impersonate-User', 'bob'],
    allow: ['|users:bob'],
    want: { username: 'bob', groups: ['system:authenticated'] },
    asked: ['|users:bob'],
  },
  {
    name: 'user, repeated groups, uid and percent-encoded extra',
    headers: ['Impersonate-User', 'bob', 'Impersonate-Group', 'g1', 'Impersonate-Group', 'g2', 'Impersonate-Uid', 'u-1', 'Impersonate-Extra-Acme.com%2fScopes', 'read', 'Impersonate-Extra-acme.com%2Fscopes', 'write'],
    allow: ['|users:bob', '|groups:g1', '|groups:g2', 'authentication.k8s.io|uids:u-1', 'authentication.k8s.io|userextras/acme.com/scopes:read', 'authentication.k8s.io|userextras/acme.com/scopes:write'],
    want: { username: 'bob', uid: 'u-1', groups: ['g1', 'g2', 'system:authenticated'], extra: { 'acme.com/scopes': ['read', 'write'] } },
    asked: ['|users:bob', '|groups:g1', '|groups:g2', 'authentication.k8s.io|userextras/acme.com/scopes:read', 'authentication.k8s.io|userextras/acme.com/scopes:write', 'authentication.k8s.io|uids:u-1'],
  },
  {
    // Authorized and switched to under the names the client meant, not their Latin-1 reading.
    name: 'UTF-8 user, group, extra and uid',
    headers: ['Impersonate-User', wire('jörg'), 'Impersonate-Group', wire('日本'), 'Impersonate-Extra-team', wire('équipe'), 'Impersonate-Uid', wire('ü-1')],
    allow: ['|users:jörg', '|groups:日本', 'authentication.k8s.io|userextras/team:équipe', 'authentication.k8s.io|uids:ü-1'],
    want: { username: 'jörg', uid: 'ü-1', groups: ['日本', 'system:authenticated'], extra: { team: ['équipe'] } },
    asked: ['|users:jörg', '|groups:日本', 'authentication.k8s.io|userextras/team:équipe', 'authentication.k8s.io|uids:ü-1'],
  },
  {
    name: 'service account: checked as serviceaccounts in its namespace, fixed groups',
    headers: ['Impersonate-User', 'system:serviceaccount:kube-system:default'],
    allow: ['|serviceaccounts:kube-system/default'],
    want: { username: 'system:serviceaccount:kube-system:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
    asked: ['|serviceaccounts:kube-system/default'],
  },
  {
    name: 'service account with explicit groups uses only those',
    headers: ['Impersonate-User', 'system:serviceaccount:ns1:sa', 'Impersonate-Group', 'x'],
    allow: ['|serviceaccounts:ns1/sa', '|groups:x'],
    want: { username: 'system:serviceaccount:ns1:sa', groups: ['x', 'system:authenticated'] },
    asked: ['|serviceaccounts:ns1/sa', '|groups:x'],
  },
  {
    name: 'malformed service account name is a plain user',
    headers: ['Impersonate-User', 'system:serviceaccount:Bad_NS:sa'],
    allow: ['|users:system:serviceaccount:Bad_NS:sa'],
    want: { username: 'system:serviceaccount:Bad_NS:sa', groups: ['system:authenticated'] },
    asked: ['|users:system:serviceaccount:Bad_NS:sa'],
  },
  {
    name: 'anonymous gains system:unauthenticated, not system:authenticated',
    headers: ['Impersonate-User', 'system:anonymous'],
    allow: ['|users:system:anonymous'],
    want: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    asked: ['|users:system:anonymous'],
  },
  {
    name: 'explicit system:unauthenticated suppresses system:authenticated',
    headers: ['Impersonate-User', 'bob', 'Impersonate-Group', 'system:unauthenticated'],
    allow: ['|users:bob', '|groups:system:unauthenticated'],
    want: { username: 'bob', groups: ['system:unauthenticated'] },
    asked: ['|users:bob', '|groups:system:unauthenticated'],
  },
];
for (const c of allowedCases) {
  test(`impersonation allowed: ${c.name}`, async () => {
    const p = policy(c.allow);
    const headers = h(...c.headers, 'Accept', 'application/json');
    assert.deepEqual(await impersonate(headers, alice, p.authorize), c.want);
    assert.deepEqual(p.asked, c.asked);
    assert.deepEqual(Object.keys(headers), ['accept'], 'impersonation headers removed');
  });
}

const deniedCases: { name: string; headers: string[]; allow: string[]; code: number; message: string }[] = [
  {
    name: 'user denied',
    headers: ['Impersonate-User', 'bob'],
    allow: [],
    code: 403,
    message: 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
  },
  {
    name: 'partial: group allowed but user not',
    headers: ['Impersonate-User', 'bob', 'Impersonate-Group', 'g1'],
    allow: ['|groups:g1'],
    code: 403,
    message: 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
  },
  {
    name: 'partial: user allowed but group not',
    headers: ['Impersonate-User', 'bob', 'Impersonate-Group', 'system:masters'],
    allow: ['|users:bob'],
    code: 403,
    message: 'groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope',
  },
  {
    name: 'service account denied',
    headers: ['Impersonate-User', 'system:serviceaccount:kube-system:default'],
    allow: [],
    code: 403,
    message: 'serviceaccounts "default" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "kube-system"',
  },
  {
    name: 'extra denied',
    headers: ['Impersonate-User', 'bob', 'Impersonate-Extra-scopes', 'admin'],
    allow: ['|users:bob'],
    code: 403,
    message: 'userextras.authentication.k8s.io "admin" is forbidden: User "alice" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
  },
  {
    name: 'uid denied',
    headers: ['Impersonate-User', 'bob', 'Impersonate-Uid', '1234'],
    allow: ['|users:bob'],
    code: 403,
    message: 'uids.authentication.k8s.io "1234" is forbidden: User "alice" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope',
  },
  { name: 'group without user', headers: ['Impersonate-Group', 'g1'], allow: ['|groups:g1'], code: 400, message: 'requested group "g1" without impersonating a user' },
  { name: 'extra without user', headers: ['Impersonate-Extra-k', 'v'], allow: [], code: 400, message: 'requested extra "k=v" without impersonating a user' },
  { name: 'uid without user', headers: ['Impersonate-Uid', 'u'], allow: [], code: 400, message: 'requested uid "u" without impersonating a user' },
  { name: 'a user name that is not UTF-8', headers: ['Impersonate-User', 'j\xf6rg'], allow: ['|users:jörg', '|users:j\xf6rg'], code: 400, message: 'invalid impersonation header impersonate-user: invalid UTF-8' },
  { name: 'two Impersonate-User headers', headers: ['Impersonate-User', 'bob', 'Impersonate-User', 'admin'], allow: ['|users:bob', '|users:admin'], code: 400, message: 'multiple Impersonate-User headers' },
];
for (const c of deniedCases) {
  test(`impersonation refused: ${c.name}`, async () => {
    const headers = h(...c.headers);
    await assert.rejects(impersonate(headers, alice, policy(c.allow).authorize), (e: unknown) => e instanceof ApiError && e.code === c.code && e.message === c.message);
    assert.ok(Object.keys(headers).length > 0, 'headers untouched on refusal');
  });
}

test('authorizer reasons are appended, errors refuse', async () => {
  const withReason = async () => ({ decision: 'deny' as const, reason: 'not today' });
  await assert.rejects(impersonate(h('Impersonate-User', 'bob'), alice, withReason), /at the cluster scope: not today$/);
  const failing = async (): Promise<boolean> => { throw new Error('authorizer down'); };
  await assert.rejects(impersonate(h('Impersonate-User', 'bob'), alice, failing), (e: unknown) => e instanceof ApiError && e.code === 403);
});

test('stripImpersonationHeaders removes all kinds and nothing else', () => {
  const headers: Record<string, string> = { 'impersonate-user': 'a', 'impersonate-group': 'b', 'impersonate-uid': 'c', 'impersonate-extra-x': 'd', 'x-other': 'e' };
  stripImpersonationHeaders(headers);
  assert.deepEqual(headers, { 'x-other': 'e' });
});
