/**
 * API Priority and Fairness: CPU per request of the concurrency stage alone (classification by
 * the mandatory and suggested FlowSchemas, the seat's grant and release), in process, so it holds
 * on a shared machine. Rounds alternate between the identities: a system:masters client (exempt,
 * first FlowSchema), a plain user (global-default, near the end of the list), a node's Lease
 * update, and a plain user on a level with every seat busy (the queuing path: the flow's hash and
 * shuffle-shard deal, then dispatch on release).
 *
 * Usage: node bench/flowcontrol.ts   Knobs: BENCH_OPS (50000 per round), BENCH_ROUNDS (5).
 * Prints one JSON document: CPU microseconds per request, the median of the rounds, per case.
 */
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from '../src/api/validation/flowcontrol/mandatory.ts';
import { SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from '../src/api/validation/flowcontrol/suggested.ts';
import { FlowControl, type Classification } from '../src/server/flowcontrol/flow-control.ts';
import { parseRequestInfo } from '../src/server/request-info.ts';
import type { UserInfo } from '../src/authn/types.ts';
import { Registry } from 'prom-client';
import { FlowControlMetrics } from '../src/server/flowcontrol/metrics.ts';
import { percentile, round } from './stats.ts';

const OPS = Number(process.env.BENCH_OPS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const withUid = (o: { metadata: { name: string } }) => ({ ...structuredClone(o), metadata: { ...o.metadata, uid: o.metadata.name } });
// With the metrics the server records (counters, gauges, the wait histogram).
const fc = new FlowControl({ now: () => new Date(), metrics: new FlowControlMetrics(new Registry()) });
fc.configure([...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS].map(withUid), [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS].map(withUid));
const noGone = () => {};

const cases: Record<string, { info: ReturnType<typeof parseRequestInfo>; user: UserInfo; queued?: boolean }> = {
  exempt: { info: parseRequestInfo('POST', '/api/v1/namespaces/default/configmaps', new URLSearchParams()), user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] } },
  globalDefault: { info: parseRequestInfo('POST', '/api/v1/namespaces/default/configmaps', new URLSearchParams()), user: { username: 'alice', groups: ['system:authenticated'] } },
  nodeLease: { info: parseRequestInfo('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', new URLSearchParams()), user: { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] } },
  queued: { info: parseRequestInfo('POST', '/api/v1/namespaces/default/configmaps', new URLSearchParams()), user: { username: 'alice', groups: ['system:authenticated'] }, queued: true },
};

async function run(c: (typeof cases)[string]): Promise<number> {
  // The queued case keeps every seat of global-default busy, so each request waits for the one before.
  const blockers: Classification[] = [];
  if (c.queued) for (let i = 0; i < (fc.levelLimit('global-default') ?? 0); i++) blockers.push(await fc.admit(c.info, { username: `b${i}`, groups: ['system:authenticated'] }, noGone));
  const t0 = process.cpuUsage();
  if (c.queued) {
    let prev = blockers.pop()!;
    for (let i = 0; i < OPS; i++) {
      const next = fc.admit(c.info, c.user, noGone);
      prev.release!();
      prev = await next;
    }
    prev.release!();
  } else {
    for (let i = 0; i < OPS; i++) (await fc.admit(c.info, c.user, noGone)).release!();
  }
  const d = process.cpuUsage(t0);
  for (const b of blockers) b.release!();
  return (d.user + d.system) / OPS;
}

const results: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < ROUNDS + 1; r++) {
  for (const [name, c] of Object.entries(cases)) {
    const us = await run(c);
    if (r > 0) results[name]!.push(us); // the first round warms up
  }
}
const out = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { cpuMicrosPerRequest: round(percentile([...v].sort((a, b) => a - b), 50), 2), rounds: v.map((x) => round(x, 2)) }]));
process.stdout.write(JSON.stringify({ settings: { ops: OPS, rounds: ROUNDS }, flowControl: out }, null, 2) + '\n');
