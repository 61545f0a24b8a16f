import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AbacAuthorizer } from './abac.ts';
import { parseAbacPolicies } from './abac-policy.ts';
import type { AuthzAttributes } from './types.ts';

const EXAMPLE = join(import.meta.dirname, '../../policies/examples/abac.jsonl');

function res(user: string, groups: string[], verb: string, resource: string, namespace = '', apiGroup = ''): AuthzAttributes {
  return { user: { username: user, groups }, verb, isResourceRequest: true, path: '', apiGroup, apiVersion: 'v1', namespace, resource, subresource: '', name: '' };
}
function nonRes(user: string, groups: string[], verb: string, path: string): AuthzAttributes {
  return { user: { username: user, groups }, verb, isResourceRequest: false, path, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
}
const AUTH = ['system:authenticated'];

test('the documented example policy', async () => {
  const authz = AbacAuthorizer.fromFile(EXAMPLE);
  const cases: Array<[string, AuthzAttributes, 'allow' | 'no-opinion']> = [
    ['alice deletes secrets anywhere', res('alice', AUTH, 'delete', 'secrets', 'kube-system'), 'allow'],
    ['alice creates deployments.apps', res('alice', AUTH, 'create', 'deployments', 'default', 'apps'), 'allow'],
    ['alice has no non-resource rule of her own but is authenticated', nonRes('alice', AUTH, 'get', '/healthz'), 'allow'],
    ['alice cannot post to a non-resource path', nonRes('alice', AUTH, 'post', '/healthz'), 'no-opinion'],
    ['kubelet reads pods', res('kubelet', AUTH, 'list', 'pods', ''), 'allow'],
    ['kubelet watches pods in a namespace', res('kubelet', AUTH, 'watch', 'pods', 'default'), 'allow'],
    ['kubelet cannot delete pods', res('kubelet', AUTH, 'delete', 'pods', 'default'), 'no-opinion'],
    ['kubelet writes events', res('kubelet', AUTH, 'create', 'events', 'default'), 'allow'],
    ['kubelet events rule is core group only', res('kubelet', AUTH, 'create', 'events', 'default', 'events.k8s.io'), 'no-opinion'],
    ['bob reads pods in projectCaribou', res('bob', AUTH, 'get', 'pods', 'projectCaribou'), 'allow'],
    ['bob cannot read pods elsewhere', res('bob', AUTH, 'get', 'pods', 'default'), 'no-opinion'],
    ['bob cannot write pods in projectCaribou', res('bob', AUTH, 'update', 'pods', 'projectCaribou'), 'no-opinion'],
    ['bob cannot read secrets in projectCaribou', res('bob', AUTH, 'get', 'secrets', 'projectCaribou'), 'no-opinion'],
    ['anonymous reads /version', nonRes('system:anonymous', ['system:unauthenticated'], 'get', '/version'), 'allow'],
    ['anonymous cannot read pods', res('system:anonymous', ['system:unauthenticated'], 'get', 'pods', 'default'), 'no-opinion'],
    ['carol reads /version exactly', nonRes('carol', [], 'get', '/version'), 'allow'],
    ['carol does not get /versionx', nonRes('carol', [], 'get', '/versionx'), 'no-opinion'],
    ['carol reads under /apis/', nonRes('carol', [], 'get', '/apis/apps/v1'), 'allow'],
    ['carol prefix needs the slash', nonRes('carol', [], 'get', '/apis'), 'no-opinion'],
    ['legacy line: any authenticated user reads deployments in any group', res('dave', AUTH, 'list', 'deployments', 'x', 'apps'), 'allow'],
    ['legacy line is readonly', res('dave', AUTH, 'delete', 'deployments', 'x', 'apps'), 'no-opinion'],
    ['legacy user * does not cover the unauthenticated', res('system:anonymous', ['system:unauthenticated'], 'list', 'deployments', 'x', 'apps'), 'no-opinion'],
  ];
  for (const [name, attrs, want] of cases) {
    const got = await authz.authorize(attrs);
    assert.equal(got.decision, want, name);
    if (want === 'no-opinion') assert.equal(got.reason, 'No policy matched.', name);
  }
});

test('conversion of wildcards and the legacy form', () => {
  const v1 = (spec: object) => JSON.stringify({ apiVersion: 'abac.authorization.kubernetes.io/v1beta1', kind: 'Policy', spec });
  const cases: Array<[string, string, Partial<ReturnType<typeof parseAbacPolicies>[number]>]> = [
    ['v1beta1 user * becomes system:authenticated', v1({ user: '*', namespace: '*' }), { user: '', group: 'system:authenticated', namespace: '*' }],
    ['v1beta1 group * becomes system:authenticated', v1({ group: '*', nonResourcePath: '*' }), { group: 'system:authenticated', nonResourcePath: '*' }],
    ['v1beta1 keeps empty fields empty', v1({ user: 'a' }), { user: 'a', group: '', namespace: '', resource: '', apiGroup: '', nonResourcePath: '' }],
    ['v0 empty line-object covers everything for the authenticated', '{}', { user: '', group: 'system:authenticated', namespace: '*', resource: '*', apiGroup: '*', nonResourcePath: '*' }],
    ['v0 with a resource has no non-resource paths', '{"user":"a","resource":"pods"}', { user: 'a', group: '', namespace: '*', resource: 'pods', apiGroup: '*', nonResourcePath: '' }],
    ['v0 readonly', '{"user":"a","namespace":"ns","readonly":true}', { namespace: 'ns', resource: '*', readonly: true, nonResourcePath: '' }],
  ];
  for (const [name, line, want] of cases) {
    const [got] = parseAbacPolicies(line, 'p.jsonl');
    for (const [k, v] of Object.entries(want)) assert.equal(got?.[k as keyof typeof got], v, `${name}: ${k}`);
  }
});

test('a v1beta1 policy with neither user nor group matches nobody', async () => {
  const authz = new AbacAuthorizer(parseAbacPolicies('{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"namespace":"*","resource":"*","apiGroup":"*"}}', 'p'));
  assert.equal((await authz.authorize(res('alice', AUTH, 'get', 'pods', 'default'))).decision, 'no-opinion');
});

test('blank lines, comments and CRLF are skipped; malformed lines name file and line', () => {
  assert.equal(parseAbacPolicies('\n   \n# c\n  # indented comment\r\n{"user":"a"}\r\n', 'p').length, 1);
  const cases: Array<[string, string, RegExp]> = [
    ['bad JSON', '# ok\n\n{"user": "a"\n', /: error reading policy file \/x\/p\.jsonl, line 3: \{"user": "a": invalid JSON/],
    ['not an object', '[1]', /line 1: .*JSON object/],
    ['wrong kind', '{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Role","spec":{}}', /line 1: .*unrecognized kind "Role"/],
    ['unknown version', '{"apiVersion":"abac.authorization.kubernetes.io/v2","kind":"Policy","spec":{}}', /unrecognized apiVersion/],
    ['readonly not a boolean', '{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{"readonly":"yes"}}', /readonly must be a boolean/],
    ['user not a string', '{"user":5}', /user must be a string/],
  ];
  for (const [name, text, re] of cases) assert.throws(() => parseAbacPolicies(text, '/x/p.jsonl'), re, name);
});

test('fromFile reports a missing file and line numbers from the file', () => {
  assert.throws(() => AbacAuthorizer.fromFile('/nonexistent/policy.jsonl'), /error reading policy file \/nonexistent\/policy\.jsonl: /);
  const dir = mkdtempSync(join(tmpdir(), 'abac-'));
  const p = join(dir, 'policy.jsonl');
  writeFileSync(p, '{"user":"a"}\n\nnot json\n');
  assert.throws(() => AbacAuthorizer.fromFile(p), new RegExp(`error reading policy file ${p}, line 3: not json`));
});
