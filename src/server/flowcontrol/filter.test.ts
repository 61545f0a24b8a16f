import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseRequestInfo } from '../request-info.ts';
import { FlowControl } from './flow-control.ts';
import { FLOW_SCHEMA_UID_HEADER, isLongRunning, maxInFlight, priorityAndFairness, PRIORITY_LEVEL_UID_HEADER } from './filter.ts';

/** A refusal is a rejected promise, never a throw (an admit given at once is a plain value). */
const refusal = (r: unknown): Promise<unknown> => {
  assert.ok(r instanceof Promise, 'a refusal is a promise');
  return r;
};

const info = (method: string, path: string, query = '') => parseRequestInfo(method, path, new URLSearchParams(query));
const req = {} as FastifyRequest;
function reply() {
  const raw = Object.assign(new EventEmitter(), { destroyed: false, writableEnded: false });
  const headers: Record<string, string> = {};
  const r = { raw, headers, header: (k: string, v: string) => ((headers[k] = v), r) };
  return r as unknown as FastifyReply & { raw: EventEmitter; headers: Record<string, string> };
}
const user = { username: 'u', groups: ['system:authenticated'] };

test('long-running requests as upstream: watch and proxy verbs; exec, attach, portforward, proxy and log subresources', () => {
  assert.ok(isLongRunning(info('GET', '/api/v1/pods', 'watch=true')));
  assert.ok(isLongRunning(info('POST', '/api/v1/namespaces/a/pods/p/exec')));
  assert.ok(isLongRunning(info('GET', '/api/v1/namespaces/a/pods/p/log')));
  assert.ok(!isLongRunning(info('GET', '/api/v1/namespaces/a/pods/p')));
});

test('max-in-flight (--enable-priority-and-fairness=false): read-only and mutating counted apart, masters pass, seats free on close', async () => {
  const l = maxInFlight(1, 1);
  const first = reply();
  await l.admit(req, first, info('GET', '/api/v1/pods'), user);
  await assert.rejects(refusal(l.admit(req, reply(), info('GET', '/api/v1/pods'), user)), (e: any) => e.code === 429 && e.details.retryAfterSeconds === 1 && e.message === 'Too many requests, please try again later.');
  await l.admit(req, reply(), info('POST', '/api/v1/namespaces/a/configmaps'), user);
  await l.admit(req, reply(), info('GET', '/api/v1/pods'), { username: 'admin', groups: ['system:masters'] });
  await l.admit(req, reply(), info('POST', '/api/v1/namespaces/a/pods/p/exec'), user);
  first.raw.emit('close');
  await l.admit(req, reply(), info('GET', '/api/v1/pods'), user);
});

test('APF filter: classification headers on answers, a seat freed when the response closes, watches release early', async () => {
  const fc = new FlowControl({ serverConcurrencyLimit: 1, now: () => new Date(0) });
  const l = priorityAndFairness(fc);
  const a = reply();
  await l.admit(req, a, info('GET', '/api/v1/pods'), user);
  assert.equal(a.headers[FLOW_SCHEMA_UID_HEADER], '', 'the imagined catch-all FlowSchema has no UID');
  assert.equal(a.headers[PRIORITY_LEVEL_UID_HEADER], '');
  const refused = reply();
  await assert.rejects(refusal(l.admit(req, refused, info('GET', '/api/v1/pods'), user)), (e: any) => e.code === 429);
  assert.ok(PRIORITY_LEVEL_UID_HEADER in refused.headers, 'a 429 carries the headers too');
  a.raw.emit('close');
  const w = reply();
  const release = await l.admit(req, w, info('GET', '/api/v1/pods', 'watch=true'), user);
  release!();
  await l.admit(req, reply(), info('GET', '/api/v1/pods'), user);
});

test('APF filter: a client gone before its request reached the filter takes no queue place', async () => {
  const fc = new FlowControl({ serverConcurrencyLimit: 2, now: () => new Date(0), waitLimitMs: 60_000 });
  const all = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }];
  fc.configure(
    [{ metadata: { name: 'q', uid: 'q' }, spec: { matchingPrecedence: 50, priorityLevelConfiguration: { name: 'q' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'u' } }], resourceRules: all }] } }],
    [{ metadata: { name: 'q', uid: 'q' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, lendablePercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 1 } } } } }],
  );
  const l = priorityAndFairness(fc);
  const running = reply();
  await l.admit(req, running, info('GET', '/api/v1/pods'), user);
  // Its connection closed (and 'close' was emitted) while authentication ran, before this filter.
  const gone = reply();
  gone.raw.destroyed = true;
  const left = assert.rejects(refusal(l.admit(req, gone, info('GET', '/api/v1/pods'), user)), (e: any) => e.code === 429);
  // The queue's one place is free for a client still there (held by the gone one, this is a 429 at once).
  const waiting = l.admit(req, reply(), info('GET', '/api/v1/pods'), user);
  running.raw.emit('close');
  await waiting;
  await left;
});

test('max-in-flight: a client gone before its request reached the filter does not keep the seat for ever', async () => {
  const l = maxInFlight(1, 1);
  const gone = reply();
  gone.raw.destroyed = true;
  await l.admit(req, gone, info('GET', '/api/v1/pods'), user);
  await l.admit(req, reply(), info('GET', '/api/v1/pods'), user);
});

test('a free seat is given at once, without a promise, with its headers set; a queued request gets a promise', async () => {
  const fc = new FlowControl({ serverConcurrencyLimit: 1, now: () => new Date(0) });
  const l = priorityAndFairness(fc);
  const a = reply();
  const release = l.admit(req, a, info('GET', '/api/v1/pods', 'watch=true'), user);
  assert.equal(typeof release, 'function', 'the release itself, not a promise');
  assert.equal(a.headers[PRIORITY_LEVEL_UID_HEADER], '');
  // FlowControl.admit keeps its promise form for its other callers.
  assert.ok(fc.admit(info('GET', '/api/v1/pods'), { username: 'x', groups: ['system:masters'] }, () => {}) instanceof Promise);
  const m = maxInFlight(1, 1);
  const first = reply();
  assert.equal(typeof m.admit(req, first, info('GET', '/api/v1/pods'), user), 'function');
  assert.equal(m.admit(req, reply(), info('GET', '/api/v1/pods'), { username: 'admin', groups: ['system:masters'] }), undefined);
  (release as () => void)();
});
