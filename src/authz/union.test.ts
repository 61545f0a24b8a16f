import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnionAuthorizer } from './union.ts';
import { MastersAuthorizer } from './masters.ts';
import { forbiddenMessage } from './forbidden-message.ts';
import type { Authorizer, AuthzAttributes, AuthzResult } from './types.ts';

const attrs = (groups: string[], over: Partial<AuthzAttributes> = {}): AuthzAttributes => ({
  user: { username: 'alice', groups },
  verb: 'list',
  isResourceRequest: true,
  path: '/api/v1/namespaces/b/pods',
  apiGroup: '',
  apiVersion: 'v1',
  namespace: 'b',
  resource: 'pods',
  subresource: '',
  name: '',
  ...over,
});
const fixed = (name: string, r: AuthzResult | Error): Authorizer => ({
  name,
  async authorize() {
    if (r instanceof Error) throw r;
    return r;
  },
});

test('system:masters is allowed, others get no opinion, which the union denies', async () => {
  const u = new UnionAuthorizer([new MastersAuthorizer()]);
  assert.equal((await u.authorize(attrs(['system:masters']))).decision, 'allow');
  assert.equal((await u.authorize(attrs(['dev']))).decision, 'deny');
});

test('first allow or deny wins, in order', async () => {
  const u = new UnionAuthorizer([fixed('a', { decision: 'no-opinion', reason: '' }), fixed('b', { decision: 'deny', reason: 'no' }), fixed('c', { decision: 'allow', reason: 'yes' })]);
  const r = await u.authorize(attrs([]));
  assert.equal(r.decision, 'deny');
  assert.equal(r.authorizer, 'b');
});

test('an authorizer error is a deny carrying the error apart from the reason, never an allow', async () => {
  const u = new UnionAuthorizer([fixed('broken', new Error('down at 10.0.0.7')), fixed('yes', { decision: 'allow', reason: '' })]);
  const r = await u.authorize(attrs([]));
  assert.equal(r.decision, 'deny');
  assert.equal(r.reason, '');
  assert.equal(r.evaluationError, 'broken: down at 10.0.0.7');
  // An authorizer that reports its failure rather than throwing stops the chain the same way.
  const soft = new UnionAuthorizer([fixed('w', { decision: 'no-opinion', reason: '', evaluationError: 'webhook down' }), fixed('yes', { decision: 'allow', reason: '' })]);
  const s = await soft.authorize(attrs([]));
  assert.deepEqual([s.decision, s.evaluationError], ['deny', 'webhook down']);
});

test('forbidden messages as upstream', () => {
  assert.equal(forbiddenMessage(attrs([])), 'User "alice" cannot list resource "pods" in API group "" in the namespace "b"');
  assert.equal(forbiddenMessage(attrs([], { namespace: '', resource: 'nodes', verb: 'get', subresource: 'status' })), 'User "alice" cannot get resource "nodes/status" in API group "" at the cluster scope');
  assert.equal(forbiddenMessage(attrs([], { isResourceRequest: false, verb: 'get', path: '/healthz' })), 'User "alice" cannot get path "/healthz"');
});

test('authorizeSync: present only when every member has it, and answers as authorize does', async () => {
  const sync = (name: string, r: AuthzResult | Error): Authorizer => ({
    ...fixed(name, r),
    authorizeSync() {
      if (r instanceof Error) throw r;
      return r;
    },
  });
  assert.equal(new UnionAuthorizer([new MastersAuthorizer(), fixed('a', { decision: 'allow', reason: '' })]).authorizeSync, undefined);
  const chains: Authorizer[][] = [
    [new MastersAuthorizer(), sync('a', { decision: 'no-opinion', reason: 'not mine' }), sync('b', { decision: 'no-opinion', reason: 'nor mine' })],
    [sync('a', { decision: 'no-opinion', reason: 'x' }), sync('b', { decision: 'deny', reason: 'no' }), sync('c', { decision: 'allow', reason: 'yes' })],
    [sync('a', { decision: 'no-opinion', reason: '' }), sync('b', new Error('boom')), sync('c', { decision: 'allow', reason: 'yes' })],
    [sync('a', { decision: 'no-opinion', reason: '', evaluationError: 'partial' }), sync('c', { decision: 'allow', reason: 'yes' })],
    [sync('a', { decision: 'allow', reason: 'ok', authorizer: 'inner' })],
  ];
  for (const groups of [['system:masters'], ['dev']]) {
    for (const members of chains) {
      const u = new UnionAuthorizer(members);
      assert.ok(u.authorizeSync);
      assert.deepEqual(u.authorizeSync(attrs(groups)), await u.authorize(attrs(groups)));
    }
  }
  assert.equal(new UnionAuthorizer(chains[2]!).authorizeSync!(attrs(['dev'])).evaluationError, 'b: boom');
});
