import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addBucket, histogramQuantile, sliKey, windowP99s, worstWindowP99, type LatencyBuckets } from './scale-sli.ts';

const LES = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, Infinity];

/** Cumulative buckets holding these observations (seconds). */
function cumulative(obs: number[]): Map<number, number> {
  return new Map(LES.map((le) => [le, obs.filter((o) => o <= le).length]));
}

test('histogram_quantile as Prometheus: linear in the bucket, +Inf answered by the highest finite bound, NaN when empty', () => {
  // 100 observations: 98 at 10 ms, 2 at 0.9 s -> rank 99 falls in (0.8, 1]: 0.8 + 0.2 * (1/2).
  const b = cumulative([...Array(98).fill(0.01), 0.9, 0.9]);
  assert.equal(histogramQuantile(0.99, b), 0.9);
  // In the first bucket: from 0.
  assert.equal(histogramQuantile(0.5, cumulative(Array(10).fill(0.001))), 0.0025);
  // The rank in +Inf: the highest finite upper bound (2 s), not Infinity.
  assert.equal(histogramQuantile(0.99, cumulative([...Array(10).fill(0.01), ...Array(90).fill(30)])), 2);
  assert.ok(Number.isNaN(histogramQuantile(0.99, cumulative([]))));
  assert.ok(Number.isNaN(histogramQuantile(0.99, new Map([[Infinity, 3]]))));
});

test('the SLI counts single-object mutating calls only (upstream: mutating API calls for single objects)', () => {
  const l = (verb: string, scope: string, extra: Record<string, string> = {}) => ({ verb, scope, dry_run: '', group: '', resource: 'pods', subresource: '', ...extra });
  assert.equal(sliKey(l('POST', 'resource')), 'POST pods');
  assert.equal(sliKey(l('POST', 'resource', { subresource: 'binding' })), 'POST pods/binding');
  assert.equal(sliKey(l('PUT', 'resource', { group: 'coordination.k8s.io', resource: 'leases' })), 'PUT coordination.k8s.io/leases');
  assert.equal(sliKey(l('GET', 'resource')), undefined);
  assert.equal(sliKey(l('LIST', 'namespace')), undefined);
  assert.equal(sliKey(l('DELETE', 'namespace')), undefined, 'a collection delete is not a single object');
  assert.equal(sliKey(l('POST', 'resource', { dry_run: 'All' })), undefined);
  const into: LatencyBuckets = new Map();
  addBucket(into, { ...l('POST', 'resource'), le: '0.1' }, 3);
  addBucket(into, { ...l('POST', 'resource'), le: '+Inf' }, 4);
  addBucket(into, { ...l('POST', 'resource'), le: '+Inf', component: 'other' }, 1);
  assert.deepEqual([...into.get('POST pods')!], [[0.1, 3], [Infinity, 5]]);
});

test('p99 over 5-minute windows: a slow minute shows in every window that holds it, then ages out', () => {
  const reading = (s: number, obs: number[]) => ({ at: s * 1000, buckets: new Map([['POST pods', cumulative(obs)]]) });
  // Minute by minute: 1,000 fast creates a minute, and in minute 3 also 100 slow ones (1.4 s).
  const obs: number[] = [];
  const readings = [reading(0, obs)];
  for (let m = 1; m <= 12; m++) {
    obs.push(...Array(1000).fill(0.01));
    if (m === 3) obs.push(...Array(100).fill(1.4));
    readings.push(reading(m * 60, [...obs]));
  }
  const slow = (w: { p99Ms: number }) => w.p99Ms > 1000;
  const five = windowP99s(readings);
  assert.equal(five.length, 12);
  // Windows ending at minutes 3-7 hold minute 3 (p99 in (1.25, 1.5] s); from minute 8 on they reach back only to
  // minute 3's end (all 10 ms: 24.8 ms interpolated in the (5, 25] ms bucket, as Prometheus does).
  assert.deepEqual(five.filter(slow).map((w) => w.atS), [180, 240, 300, 360, 420]);
  assert.deepEqual(five.find((w) => w.atS === 480), { kind: 'POST pods', atS: 480, p99Ms: 24.8, requests: 5000 });
  // Reaching back to the start instead, the slow minute would still count at minute 8.
  assert.ok(slow(windowP99s(readings, Infinity).find((w) => w.atS === 480)!));
  const r = worstWindowP99(readings);
  assert.equal(r.readings, 13);
  assert.equal(r.perKind.length, 1);
  assert.equal(r.perKind[0]!.kind, 'POST pods');
  assert.ok(r.perKind[0]!.worstP99Ms > 1250 && r.perKind[0]!.worstP99Ms <= 1500, String(r.perKind[0]!.worstP99Ms));
  assert.deepEqual(r.worst, { kind: 'POST pods', p99Ms: r.perKind[0]!.worstP99Ms });
});
