import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdmissionAttributes } from '../../types.ts';
import { podAttrs } from '../../webhook/test-support.ts';
import { exceptionCovers, exemptsUser, isActive, type PolicyException } from './policy-exception.ts';

// The shared pod request, in namespace a, labelled app=legacy, by alice of group dev.
const req = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes =>
  podAttrs({ namespace: 'a', object: { metadata: { name: 'p', labels: { app: 'legacy' } } }, user: { username: 'alice', groups: ['dev'] }, ...over });
const ex = (spec: PolicyException['spec']): PolicyException => ({ metadata: { name: 'e' }, spec: { policyName: 'p', expiresAt: '2030-01-01T00:00:00Z', ...spec } });

test('expiry: active strictly before expiresAt; missing or unparsable never active', () => {
  assert.equal(isActive(ex({}), new Date('2029-12-31T23:59:59Z')), true);
  assert.equal(isActive(ex({}), new Date('2030-01-01T00:00:00Z')), false);
  assert.equal(isActive(ex({ expiresAt: 'soon' }), new Date(0)), false);
  assert.equal(isActive({ spec: { policyName: 'p' } }, new Date(0)), false);
});

test('scope: namespaces, names, objectSelector (object or old object), subjects', () => {
  assert.equal(exceptionCovers(ex({ match: { namespaces: ['a'] } }), req()), true);
  assert.equal(exceptionCovers(ex({ match: { namespaces: ['b'] } }), req()), false);
  assert.equal(exceptionCovers(ex({ match: { namespaces: ['a'] } }), req({ namespace: '' })), false);
  assert.equal(exceptionCovers(ex({ match: { names: ['q'] } }), req()), false);
  assert.equal(exceptionCovers(ex({ match: { objectSelector: { matchLabels: { app: 'legacy' } } } }), req()), true);
  assert.equal(exceptionCovers(ex({ match: { objectSelector: { matchLabels: { app: 'new' } } } }), req()), false);
  assert.equal(exceptionCovers(ex({ match: { objectSelector: { matchLabels: { app: 'legacy' } } } }), req({ operation: 'DELETE', object: undefined, oldObject: { metadata: { labels: { app: 'legacy' } } } })), true);
  // A selector that does not parse selects nothing.
  assert.equal(exceptionCovers(ex({ match: { objectSelector: { matchExpressions: [{ key: 'app', operator: 'Bogus' }] } } }), req()), false);
  assert.equal(exceptionCovers(ex({ subjects: { groups: ['dev'] } }), req()), true);
  assert.equal(exceptionCovers(ex({ subjects: { users: ['bob'] } }), req()), false);
});

test('who is exempted: the subjects; without them, service accounts of the scope', () => {
  assert.equal(exemptsUser(ex({ subjects: { users: ['alice'] } }), { username: 'alice', groups: [] }), true);
  assert.equal(exemptsUser(ex({ subjects: { groups: ['dev'] } }), { username: 'bob', groups: ['dev'] }), true);
  assert.equal(exemptsUser(ex({ subjects: { users: ['alice'] } }), { username: 'bob', groups: [] }), false);
  assert.equal(exemptsUser(ex({ match: { namespaces: ['a'] } }), { username: 'system:serviceaccount:a:ci', groups: [] }), true);
  assert.equal(exemptsUser(ex({ match: { namespaces: ['a'] } }), { username: 'system:serviceaccount:b:ci', groups: [] }), false);
  assert.equal(exemptsUser(ex({}), { username: 'system:serviceaccount:b:ci', groups: [] }), true);
  assert.equal(exemptsUser(ex({ match: { namespaces: ['a'] } }), { username: 'alice', groups: [] }), false);
});
