import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { parseRequestInfo } from '../request-info.ts';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from '../../api/validation/flowcontrol/mandatory.ts';
import { SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from '../../api/validation/flowcontrol/suggested.ts';
import { FlowControl, type Classification } from './flow-control.ts';
import { Registry } from 'prom-client';
import { FlowControlMetrics } from './metrics.ts';

type Obj = Record<string, any>;
const withUid = (o: Obj): Obj => ({ ...structuredClone(o), metadata: { ...o.metadata, uid: `uid-${o.metadata.name}` } });
const MANDATORY_AND_SUGGESTED = {
  fs: [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS].map(withUid),
  pl: [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS].map(withUid),
};
const info = (method: string, path: string) => {
  const [p, q] = path.split('?');
  return parseRequestInfo(method, p!, new URLSearchParams(q ?? ''));
};
const alice = { username: 'alice', groups: ['system:authenticated'] };
const scheduler = { username: 'system:kube-scheduler', groups: ['system:authenticated'] };
const node = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const noGone = () => {};

function floodConfig(limitResponse: Obj, shares = 1): { fs: Obj[]; pl: Obj[] } {
  return {
    fs: [...MANDATORY_AND_SUGGESTED.fs, withUid({ metadata: { name: 'flood' }, spec: { matchingPrecedence: 50, priorityLevelConfiguration: { name: 'flood' }, distinguisherMethod: { type: 'ByUser' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'alice' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }] }] } })],
    pl: [...MANDATORY_AND_SUGGESTED.pl, withUid({ metadata: { name: 'flood' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: shares, lendablePercent: 0, limitResponse } } })],
  };
}

function fc(cfg: { fs: Obj[]; pl: Obj[] }, serverConcurrencyLimit = 2): FlowControl {
  const f = new FlowControl({ serverConcurrencyLimit, now: () => new Date(0), waitLimitMs: 60_000 });
  f.configure(cfg.fs, cfg.pl);
  return f;
}

async function rejected(p: Promise<Classification>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  assert.fail('expected a rejection');
}

test('a stored mandatory FlowSchema whose level is missing is dangling and the mandatory one is used, as upstream', async () => {
  const broken = (name: string) => ({ ...withUid(MANDATORY_FLOW_SCHEMAS.find((m) => m.metadata.name === name)!), spec: { ...structuredClone(MANDATORY_FLOW_SCHEMAS.find((m) => m.metadata.name === name)!.spec), priorityLevelConfiguration: { name: 'gone' } } });
  // Only the two mandatory FlowSchemas are stored, both pointing at a level that does not exist.
  const f = fc({ fs: [broken('catch-all'), broken('exempt')], pl: MANDATORY_PRIORITY_LEVELS.map(withUid) }, 600);
  assert.equal(f.danglingConditions().get('catch-all')?.status, 'True');
  assert.equal(f.danglingConditions().get('exempt')?.status, 'True');
  const anonymous = await f.admit(info('GET', '/openapi/v2'), { username: 'system:anonymous', groups: ['system:unauthenticated'] } as any, noGone);
  assert.deepEqual({ schema: anonymous.schema.name, level: anonymous.level.name }, { schema: 'catch-all', level: 'catch-all' });
  const admin = await f.admit(info('GET', '/api/v1/pods'), { username: 'admin', groups: ['system:masters'] } as any, noGone);
  assert.deepEqual({ schema: admin.schema.name, level: admin.level.name }, { schema: 'exempt', level: 'exempt' });
  anonymous.release!();
  admin.release!();
});

test('classification: the matching FlowSchema with the lowest matchingPrecedence, then name', async () => {
  const f = fc(MANDATORY_AND_SUGGESTED, 600);
  const by = async (user: Obj, method: string, path: string) => (await f.admit(info(method, path), user as any, noGone)).schema.name;
  assert.equal(await by(node, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'), 'system-node-high');
  assert.equal(await by(node, 'GET', '/api/v1/pods'), 'system-nodes');
  assert.equal(await by(scheduler, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler'), 'system-leader-election');
  assert.equal(await by(scheduler, 'POST', '/api/v1/namespaces/default/pods/p/binding'), 'kube-scheduler');
  assert.equal(await by({ username: 'system:serviceaccount:default:x', groups: ['system:serviceaccounts', 'system:authenticated'] }, 'GET', '/api/v1/pods'), 'service-accounts');
  assert.equal(await by(alice, 'GET', '/api/v1/pods'), 'global-default');
  assert.equal(await by(alice, 'GET', '/healthz'), 'probes');
  assert.equal(await by({ username: 'admin', groups: ['system:masters'] }, 'GET', '/api/v1/pods'), 'exempt');
  // Two matching schemas at one precedence: the name decides.
  const twin = (name: string) => withUid({ metadata: { name }, spec: { matchingPrecedence: 10, priorityLevelConfiguration: { name: 'workload-low' }, rules: [{ subjects: [{ kind: 'Group', group: { name: '*' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }] }] } });
  f.configure([...MANDATORY_AND_SUGGESTED.fs, twin('zz'), twin('aa')], MANDATORY_AND_SUGGESTED.pl);
  assert.equal(await by(alice, 'GET', '/version'), 'aa');
});

test('with no stored configuration the mandatory objects apply: masters exempt, everyone else catch-all', async () => {
  const f = new FlowControl({ now: () => new Date(0) });
  assert.equal((await f.admit(info('GET', '/api/v1/pods'), alice, noGone)).level.name, 'catch-all');
  assert.equal((await f.admit(info('GET', '/api/v1/pods'), { username: 'a', groups: ['system:masters'] }, noGone)).level.name, 'exempt');
  assert.equal(f.levelLimit('catch-all'), 600, 'the only limited level gets every seat');
});

test('a flood at a Reject level gets 429s while the scheduler and node leases are still admitted', async () => {
  const f = fc(floodConfig({ type: 'Reject' }));
  assert.equal(f.levelLimit('flood'), 1);
  const held = await f.admit(info('POST', '/api/v1/namespaces/default/configmaps'), alice, noGone);
  assert.equal(held.level.name, 'flood');
  for (let i = 0; i < 5; i++) {
    const err = await rejected(f.admit(info('POST', '/api/v1/namespaces/default/configmaps'), alice, noGone));
    assert.equal(err.code, 429);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.message, 'Too many requests, please try again later.');
    assert.ok((err.details?.retryAfterSeconds ?? 0) >= 1);
  }
  const s = await f.admit(info('POST', '/api/v1/namespaces/default/pods/p/binding'), scheduler, noGone);
  assert.equal(s.level.name, 'workload-high');
  const n = await f.admit(info('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'), node, noGone);
  assert.equal(n.level.name, 'node-high');
  held.release!();
  const next = await f.admit(info('POST', '/api/v1/namespaces/default/configmaps'), alice, noGone);
  assert.equal(next.level.name, 'flood', 'the freed seat is usable');
});

test('a queuing level: requests wait, are dispatched as seats free, and a full queue rejects', async () => {
  const f = fc(floodConfig({ type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 2 } }));
  const path = info('GET', '/api/v1/namespaces/default/configmaps');
  const first = await f.admit(path, alice, noGone);
  const order: number[] = [];
  const waiting = [1, 2].map((i) => f.admit(path, alice, noGone).then((c) => (order.push(i), c)));
  const full = await rejected(f.admit(path, alice, noGone));
  assert.equal(full.code, 429, 'queueLengthLimit 2 reached');
  first.release!();
  const second = await waiting[0]!;
  assert.deepEqual(order, [1]);
  second.release!();
  await waiting[1];
  assert.deepEqual(order, [1, 2], 'first come first served within a queue');
});

test('a client that leaves while queued gives its place up', async () => {
  const f = fc(floodConfig({ type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 1 } }));
  const path = info('GET', '/api/v1/namespaces/default/configmaps');
  const first = await f.admit(path, alice, noGone);
  let gone: () => void = () => {};
  const leaving = rejected(f.admit(path, alice, (cb) => (gone = cb)));
  gone();
  assert.equal((await leaving).code, 429);
  const again = f.admit(path, alice, noGone);
  first.release!();
  assert.equal((await again).level.name, 'flood', 'the queue had room again');
});

test('a PriorityLevelConfiguration update changes the limits at once (waiting requests are dispatched)', async () => {
  const cfg = floodConfig({ type: 'Queue', queuing: { queues: 4, handSize: 2, queueLengthLimit: 10 } });
  const f = fc(cfg);
  const path = info('GET', '/api/v1/namespaces/default/configmaps');
  await f.admit(path, alice, noGone);
  const waiting = f.admit(path, alice, noGone);
  const bigger = floodConfig({ type: 'Queue', queuing: { queues: 8, handSize: 3, queueLengthLimit: 10 } }, 10_000);
  f.configure(bigger.fs, bigger.pl);
  assert.equal(f.levelLimit('flood'), 2);
  assert.equal((await waiting).level.name, 'flood');
});

test('a FlowSchema whose level does not exist is dangling and skipped', async () => {
  const cfg = floodConfig({ type: 'Reject' });
  const f = fc({ fs: cfg.fs, pl: cfg.pl.filter((p) => p.metadata.name !== 'flood') });
  assert.deepEqual(f.danglingConditions().get('flood'), {
    type: 'Dangling',
    status: 'True',
    reason: 'NotFound',
    message: 'This FlowSchema references the PriorityLevelConfiguration object named "flood" but there is no such object',
  });
  assert.equal(f.danglingConditions().get('global-default')?.reason, 'Found');
  assert.equal((await f.admit(info('GET', '/api/v1/pods'), alice, noGone)).schema.name, 'global-default');
});

test('borrowing: a saturated level borrows the seats idle levels lend, and its queue drains', async () => {
  let t = 0;
  const f = new FlowControl({ serverConcurrencyLimit: 600, now: () => new Date(0), clock: () => t, waitLimitMs: 600_000 });
  f.configure(MANDATORY_AND_SUGGESTED.fs, MANDATORY_AND_SUGGESTED.pl);
  const nominal = f.levelLimit('global-default')!;
  assert.equal(nominal, 49, 'ceil(600 × 20 / 245)');
  const path = info('GET', '/api/v1/namespaces/default/configmaps');
  const users = Array.from({ length: 200 }, (_, i) => ({ username: `u${i}`, groups: ['system:authenticated'] }));
  const running: Classification[] = [];
  const waiting: Array<Promise<Classification>> = [];
  for (const u of users) {
    const p = f.admit(path, u, noGone);
    if (running.length < nominal) running.push(await p);
    else waiting.push(p);
  }
  t = 10_000;
  f.adjustLimits();
  const borrowed = f.levelLimit('global-default')!;
  assert.ok(borrowed > nominal, `borrowed up to ${borrowed}`);
  assert.ok((f.levelLimit('workload-low') ?? 0) < 245, 'workload-low (idle, lendable 90%) lent seats');
  assert.ok(f.levelLimit('leader-election')! >= 25, 'leader-election (nominal 25) lends nothing: lendablePercent 0');
  // Nothing was released: the queued requests ran on the borrowed seats.
  const dispatched = await Promise.all(waiting.slice(0, Math.min(waiting.length, borrowed - nominal)));
  for (const c of [...running, ...dispatched]) c.release!();
  await Promise.all(waiting);
});

test('metrics: series per FlowSchema and level, dropped when the configuration no longer has the pair', async () => {
  const registry = new Registry();
  const f = new FlowControl({ serverConcurrencyLimit: 2, now: () => new Date(0), metrics: new FlowControlMetrics(registry) });
  const cfg = floodConfig({ type: 'Reject' });
  f.configure(cfg.fs, cfg.pl);
  const held = await f.admit(info('GET', '/api/v1/namespaces/default/configmaps'), alice, noGone);
  await rejected(f.admit(info('GET', '/api/v1/namespaces/default/configmaps'), alice, noGone));
  let text = await registry.metrics();
  assert.match(text, /apiserver_flowcontrol_current_executing_seats\{priority_level="flood",flow_schema="flood"\} 1/);
  assert.match(text, /apiserver_flowcontrol_rejected_requests_total\{priority_level="flood",flow_schema="flood",reason="concurrency-limit"\} 1/);
  assert.match(text, /apiserver_flowcontrol_nominal_limit_seats\{priority_level="flood"\} 1/);
  held.release!();
  f.configure(MANDATORY_AND_SUGGESTED.fs, MANDATORY_AND_SUGGESTED.pl);
  text = await registry.metrics();
  assert.doesNotMatch(text, /flow_schema="flood"/);
  assert.doesNotMatch(text, /priority_level="flood"/);
});
