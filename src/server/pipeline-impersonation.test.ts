import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors.ts';
import type { Authorizer } from '../authz/types.ts';
import { impersonationStage, type PipelineDeps } from './pipeline.ts';

test('an authorizer failure during impersonation is a 403 without its text, and is logged', async () => {
  const logged: unknown[] = [];
  const authorizer: Authorizer = {
    name: 'failing',
    authorize: async () => ({ decision: 'deny', reason: '', authorizer: 'Webhook', evaluationError: 'authorization webhook failed: connect ECONNREFUSED 127.0.0.1:1' }),
  };
  const deps = { authorizer } as unknown as PipelineDeps;
  const req = { headers: { 'impersonate-user': 'bob' }, log: { error: (o: unknown) => logged.push(o) } } as unknown as FastifyRequest;
  const err = await impersonationStage(deps, req, { 'impersonate-user': ['bob'] }, { username: 'alice', groups: [] }).then(
    () => assert.fail('impersonation allowed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError);
  assert.equal(err.code, 403);
  assert.equal(err.message, 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
  assert.deepEqual(logged, [{ authorizer: 'Webhook', err: 'authorization webhook failed: connect ECONNREFUSED 127.0.0.1:1' }]);
  assert.equal(req.headers['impersonate-user'], undefined);
});
