/**
 * Micro-benchmark of the Casbin mode's decision at 100k policy lines: what the server's
 * CasbinAuthorizer does for a request (authorize(): the engine's decision on the compiled index
 * and the AuthzResult with its reason), next to casbin's own enforce on the same model and
 * lines, in the same run (casbin on a small sample: it scans every line per call, seconds per
 * decision at this size). Each request's attributes are made just before it is timed, with fresh
 * strings, as the server makes them per request: a pre-built array of requests would time cache
 * misses on the bench's own objects. Reports, does not assert. Call benchCasbin() from bench/,
 * or run `node src/authz/casbin/bench.ts`.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../rbac/testing.ts';
import type { AuthzAttributes } from '../types.ts';
import { CasbinAuthorizer } from './authorizer.ts';
import { CasbinEngine } from './engine.ts';
import { loadCasbinModel } from './model.ts';
import type { PolicyLine } from './policy.ts';
import { principals, requestValues } from './request.ts';

export interface CasbinBenchOptions {
  lines?: number;
  decisions?: number;
  /** Decisions made before timing starts (see WARMUP). */
  warmup?: number;
  casbinSample?: number;
  seed?: number;
  print?: boolean;
}

export interface CasbinBenchResult {
  policyLines: number;
  buildMs: number;
  warmupDecisions: number;
  /** The authorizer's decision (every principal of a user with two groups), from the index. */
  index: { decisions: number; allowed: number; denied: number; p50Us: number; p99Us: number; maxUs: number; cpuUsPerDecision: number; gcPer100kDecisions: number; gcMs: number };
  /** casbin's enforceEx, one call per principal as the mode would make them. */
  casbin: { decisions: number; p50Us: number; p99Us: number };
  agreement: { compared: number; mismatches: number };
  targetP99Us: number;
}

/** An allow-and-deny model with wildcards and keyMatch on resources, as a security team might write. */
const MODEL = `[request_definition]
r = sub, namespace, verb, apiGroup, resource
[policy_definition]
p = sub, namespace, verb, apiGroup, resource, eft
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = r.sub == p.sub && (p.namespace == "*" || r.namespace == p.namespace) && (p.verb == "*" || r.verb == p.verb) && (p.apiGroup == "*" || r.apiGroup == p.apiGroup) && keyMatch(r.resource, p.resource)
`;

/**
 * Decisions made before timing, so what is timed is a running server's decision: V8 optimizes the
 * decision path's functions after some thousands of calls and re-optimizes them when a rarer
 * path (a deny, a named line) first runs. After 2000 decisions `--trace-opt --trace-deopt` still
 * showed #scan, #visitAt and #decideIndexed compiled and deoptimized inside the timed window
 * (its first 10k decisions had 2-3x the p99 of the rest); after 50k, only the bench's own code.
 */
const WARMUP = 50_000;

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const GROUPS = ['', 'apps', 'batch', 'example.com'];

export async function benchCasbin(opts: CasbinBenchOptions = {}): Promise<CasbinBenchResult> {
  const o = { lines: 100_000, decisions: 50_000, warmup: WARMUP, casbinSample: 5, seed: 7, print: true, ...opts };
  const rand = seededRandom(o.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const users = Math.max(1, Math.floor(o.lines / 20));
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  const lines: PolicyLine[] = [];
  for (let i = 0; i < o.lines; i++) {
    const sub = rand() < 0.8 ? `user:user-${int(users)}` : `group:team-${int(100)}`;
    const resource = rand() < 0.1 ? `res${int(50)}*` : `res${int(200)}`;
    lines.push({ ptype: 'p', values: [sub, rand() < 0.2 ? '*' : `ns-${int(500)}`, rand() < 0.1 ? '*' : pick(VERBS), rand() < 0.1 ? '*' : pick(GROUPS), resource, rand() < 0.05 ? 'deny' : 'allow'], source: `bench.csv:${i + 1}` });
  }
  let t = performance.now();
  const engine = await CasbinEngine.build(loadCasbinModel(MODEL, 'bench.conf'), lines);
  const buildMs = performance.now() - t;
  // Fresh strings per request (as parsed from a request), not shared with the policy lines.
  const request = (): AuthzAttributes => ({ user: { username: `user-${int(users)}`, groups: [`team-${int(100)}`, 'system:authenticated'] }, verb: pick(VERBS), isResourceRequest: true, path: '', apiGroup: pick(GROUPS), apiVersion: 'v1', namespace: `ns-${int(500)}`, resource: `res${int(200)}`, subresource: '', name: '' });
  const ctx = { nsLabels: {}, now: new Date(0) };
  // As the server makes it: the clock is read per decision.
  const authorizer = new CasbinAuthorizer(engine);
  for (let i = 0; i < o.warmup; i++) await authorizer.authorize(request());
  const lat = new Float64Array(o.decisions);
  let allowed = 0;
  let denied = 0;
  // Collections while deciding: allocation per decision shows up as young-generation GCs in the tail.
  let gcs = 0;
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs++;
      gcMs += e.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  // CPU time too: on a shared machine the wall-clock tail is mostly time spent descheduled.
  // Requests are made in small batches (they stay in cache, as a request being served is),
  // CPU time is taken around each batch's decisions only.
  let cpuUs = 0;
  const batch: AuthzAttributes[] = [];
  for (let i = 0; i < o.decisions; ) {
    batch.length = 0;
    for (let k = 0; k < 256 && i + k < o.decisions; k++) batch.push(request());
    const c = process.cpuUsage();
    for (const a of batch) {
      const s = performance.now();
      const d = await authorizer.authorize(a);
      lat[i++] = (performance.now() - s) * 1000;
      if (d.decision === 'allow') allowed++;
      else if (d.decision === 'deny') denied++;
    }
    const u = process.cpuUsage(c);
    cpuUs += u.user + u.system;
  }
  // GC entries are delivered after the fact: give them a moment.
  await new Promise((r) => setTimeout(r, 100));
  gcObserver.disconnect();
  const ix = stats(lat);
  // casbin's enforce for the same requests, principal by principal, and the combined decision compared.
  const sample = Array.from({ length: o.casbinSample }, request);
  const clat = new Float64Array(sample.length);
  let mismatches = 0;
  sample.forEach((a, i) => {
    const s = performance.now();
    let decision = 'no-opinion';
    for (const sub of principals(a)) {
      const d = engine.enforceWithCasbin(requestValues(engine.model.requestTokens, a, sub, ctx));
      if (d.decision === 'deny') {
        decision = 'deny';
        break;
      }
      if (d.decision === 'allow') decision = 'allow';
    }
    clat[i] = (performance.now() - s) * 1000;
    if (decision !== engine.decide(a, ctx).decision) mismatches++;
  });
  const cs = stats(clat);
  t = performance.now();
  const result: CasbinBenchResult = {
    policyLines: o.lines,
    buildMs: Math.round(buildMs),
    warmupDecisions: o.warmup,
    index: { decisions: o.decisions, allowed, denied, p50Us: ix.p50, p99Us: ix.p99, maxUs: ix.max, cpuUsPerDecision: Math.round((cpuUs / o.decisions) * 1000) / 1000, gcPer100kDecisions: Math.round((gcs * 100_000) / o.decisions), gcMs: Math.round(gcMs * 10) / 10 },
    casbin: { decisions: sample.length, p50Us: cs.p50, p99Us: cs.p99 },
    agreement: { compared: sample.length, mismatches },
    targetP99Us: 5,
  };
  if (o.print) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return result;
}

function stats(xs: Float64Array): { p50: number; p99: number; max: number } {
  const s = Float64Array.from(xs).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1] ?? NaN) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchCasbin();
