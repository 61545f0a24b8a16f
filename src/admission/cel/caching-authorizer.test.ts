import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authorizer } from '../../authz/types.ts';
import { cachingAuthorizer } from './caching-authorizer.ts';

test('one decision per distinct check', async () => {
  let calls = 0;
  const inner: Authorizer = { name: 'x', authorize: async (a) => (calls++, { decision: a.verb === 'get' ? 'allow' : 'deny', reason: '' }) };
  const c = cachingAuthorizer(inner);
  const attrs = (verb: string) => ({ user: { username: 'bob', groups: [] }, verb, isResourceRequest: true, path: '', apiGroup: '', apiVersion: '*', namespace: 'dev', resource: 'secrets', subresource: '', name: '' });
  assert.equal((await c.authorize(attrs('get'))).decision, 'allow');
  assert.equal((await c.authorize(attrs('get'))).decision, 'allow');
  assert.equal((await c.authorize(attrs('list'))).decision, 'deny');
  assert.equal(calls, 2);
});
