import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors.ts';
import type { AuthnResult, RequestAuthenticator } from '../authn/types.ts';
import { AuthnError } from '../authn/types.ts';
import { authenticationStage, type PipelineDeps } from './pipeline.ts';
import { statusFromError } from './status.ts';

/** A request with a credential and a proxy identity header, and a record of what the observer was told. */
function setup(authenticate: RequestAuthenticator['authenticate']) {
  const told: Array<AuthnResult | undefined> = [];
  const logged: unknown[] = [];
  const deps = { authenticator: { name: 'fake', authenticate }, observer: { authenticated: (_req: unknown, r: AuthnResult | undefined) => told.push(r), authorized() {} } } as unknown as PipelineDeps;
  const req = { headers: { authorization: 'Bearer t', 'x-remote-user': 'mallory' }, raw: { socket: undefined }, log: { info: (o: unknown) => logged.push(o) } } as unknown as FastifyRequest;
  return { deps, req, told, logged };
}

test('authentication: the credential is used up on success; proxy headers go and the observer is told on every outcome', async () => {
  const ok = setup(async () => ({ kind: 'authenticated', method: 'token', user: { username: 'u', groups: [] } }));
  assert.deepEqual(await authenticationStage(ok.deps, ok.req, {}), { user: { username: 'u', groups: [] }, method: 'token' });
  assert.equal(ok.req.headers.authorization, undefined);
  assert.equal(ok.req.headers['x-remote-user'], undefined);
  assert.equal(ok.told.length, 1);

  const rejected = setup(async () => ({ kind: 'rejected', method: 'token', error: new AuthnError('InvalidCredential', 'bad token') }));
  const e401 = await (authenticationStage(rejected.deps, rejected.req, {}) as Promise<unknown>).then(() => assert.fail('authenticated'), (e: unknown) => e);
  assert.ok(e401 instanceof ApiError && e401.code === 401);
  assert.deepEqual(rejected.logged, [{ method: 'token', reason: 'bad token' }]);
  assert.equal(rejected.req.headers['x-remote-user'], undefined);
  assert.equal(rejected.told[0]?.kind, 'rejected');

  const none = setup(async () => ({ kind: 'no-opinion' }));
  await assert.rejects(authenticationStage(none.deps, none.req, {}) as Promise<unknown>, (e: unknown) => e instanceof ApiError && e.code === 401);

  // An authenticator that fails, asynchronously or at once: the same error as a rejected
  // promise (never a throw), after the same clean-up, and the observer told "no result".
  for (const fail of [async () => Promise.reject(new Error('boom')), () => { throw new Error('boom'); }]) {
    const f = setup(fail as RequestAuthenticator['authenticate']);
    let p: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      p = authenticationStage(f.deps, f.req, {}) as Promise<unknown>;
    });
    await assert.rejects(p!, /boom/);
    assert.equal(f.req.headers['x-remote-user'], undefined);
    assert.deepEqual(f.told, [undefined]);
  }
});

test('authentication decided at once (authenticateNow): the same identity, the same 401 Status, the same clean-up and observer calls, without a promise', async () => {
  const results: AuthnResult[] = [
    { kind: 'authenticated', method: 'token', user: { username: 'u', groups: ['g'] } },
    { kind: 'rejected', method: 'token', error: new AuthnError('InvalidCredential', 'bad token') },
    { kind: 'no-opinion' },
  ];
  for (const r of results) {
    const awaited = setup(async () => r);
    const now = setup(async () => assert.fail('awaited'));
    (now.deps.authenticator as { authenticateNow?: () => AuthnResult }).authenticateNow = () => r;
    const outcome = async (p: () => unknown): Promise<unknown> => {
      try {
        return { ok: await p() };
      } catch (e) {
        return { status: statusFromError(e) };
      }
    };
    let atOnce: unknown;
    const got = await outcome(() => {
      atOnce = authenticationStage(now.deps, now.req, {});
      return atOnce;
    });
    // Decided in this tick: an identity (not a promise of one), or the 401 thrown.
    assert.ok(!(atOnce instanceof Promise), r.kind);
    assert.deepEqual(got, await outcome(() => authenticationStage(awaited.deps, awaited.req, {})), r.kind);
    for (const f of [now, awaited]) {
      assert.equal(f.req.headers['x-remote-user'], undefined);
      assert.equal(f.req.headers.authorization, r.kind === 'authenticated' ? undefined : 'Bearer t');
    }
    assert.deepEqual(now.told, awaited.told);
    assert.deepEqual(now.logged, awaited.logged);
  }
});
