import { newAgent, runLoad, send, type LoadResult, type Target } from './load.ts';
import { CONFIGMAPS, configMapBody, namespaceBody } from './shapes.ts';

export const SCENARIOS = ['create', 'create1', 'get', 'get1', 'list'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** A scenario left out by ScenarioOptions.only is absent. */
export type ShapeResults = Partial<Record<ScenarioName, LoadResult>>;

export interface ScenarioOptions {
  connections: number;
  warmupMs: number;
  durationMs: number;
  listSize: number;
  /** Portcullis needs the namespaces to exist (NamespaceLifecycle); bare fastify does not. */
  createNamespaces: boolean;
  serverCpuMicros?: () => Promise<number>;
  /** Starts a server CPU profile; the returned function saves it under the scenario's name. */
  profile?: () => Promise<(name: string) => Promise<void>>;
  progress: (msg: string) => void;
  /** Run only these scenarios (BENCH_SCENARIOS); all when undefined. */
  only?: ReadonlySet<ScenarioName>;
}

const NS = { create: 'bench-create', get: 'bench-get', list: 'bench-list' };

/** Setup (namespaces, the GET target, the 1,000-item namespace), then the five load runs. */
export async function runShapes(target: Target, o: ScenarioOptions): Promise<ShapeResults> {
  const agent = newAgent(target.tls);
  try {
    const must = async (method: 'POST' | 'GET', path: string, body: string | undefined, expect: number[]) => {
      const r = await send(target, agent, { method, path, body }, { keepBody: true });
      if (!expect.includes(r.status)) throw new Error(`${method} ${path} answered ${r.status}: ${r.body?.toString().slice(0, 500)}`);
    };
    if (o.createNamespaces) {
      for (const ns of Object.values(NS)) await must('POST', '/api/v1/namespaces', namespaceBody(ns), [201, 409]);
    }
    await must('POST', CONFIGMAPS(NS.get), configMapBody(NS.get, 'target'), [201, 409]);
    if (o.only && !o.only.has('list')) return runSelected(target, o);
    o.progress(`filling ${NS.list} with ${o.listSize} ConfigMaps`);
    const fillers = Array.from({ length: 10 }, () => newAgent(target.tls));
    let next = 0;
    await Promise.all(
      fillers.map(async (a) => {
        while (next < o.listSize) {
          const name = `item-${String(next++).padStart(5, '0')}`;
          const r = await send(target, a, { method: 'POST', path: CONFIGMAPS(NS.list), body: configMapBody(NS.list, name) });
          if (r.status !== 201 && r.status !== 409) throw new Error(`filling the list answered ${r.status}`);
        }
      }),
    );
    for (const a of fillers) a.destroy();
  } finally {
    agent.destroy();
  }
  return runSelected(target, o);
}

async function runSelected(target: Target, o: ScenarioOptions): Promise<ShapeResults> {
  const wanted = (name: ScenarioName) => !o.only || o.only.has(name);
  const profiled = async (name: string, run: () => Promise<LoadResult>): Promise<LoadResult> => {
    const save = await o.profile?.();
    try {
      return await run();
    } finally {
      await save?.(name);
    }
  };
  const base = { target, warmupMs: o.warmupMs, durationMs: o.durationMs, serverCpuMicros: o.serverCpuMicros };
  const create = (prefix: string) => (seq: number) => ({
    method: 'POST' as const,
    path: CONFIGMAPS(NS.create),
    body: configMapBody(NS.create, `${prefix}-${seq}`),
    expectStatus: 201,
  });
  const get = () => ({ method: 'GET' as const, path: `${CONFIGMAPS(NS.get)}/target`, expectStatus: 200 });
  const list = () => ({ method: 'GET' as const, path: CONFIGMAPS(NS.list), expectStatus: 200 });

  const results: ShapeResults = {};
  const run = async (name: ScenarioName, label: string, load: () => Promise<LoadResult>, show: (r: LoadResult) => string) => {
    if (!wanted(name)) return;
    o.progress(label);
    const r = await profiled(name, load);
    o.progress(`  ${r.rps} req/s, ${show(r)}`);
    results[name] = r;
  };
  const p99 = (r: LoadResult) => `p99 ${r.latencyMs.p99} ms`;
  const p50 = (r: LoadResult) => `p50 ${r.latencyMs.p50} ms`;
  await run('create', `create, ${o.connections} connections`, () => runLoad({ ...base, connections: o.connections, request: create('c50') }), p99);
  await run('create1', 'create, 1 connection', () => runLoad({ ...base, connections: 1, request: create('c1') }), p50);
  await run('get', `get, ${o.connections} connections`, () => runLoad({ ...base, connections: o.connections, request: get }), p99);
  await run('get1', 'get, 1 connection', () => runLoad({ ...base, connections: 1, request: get }), p50);
  await run('list', `list of ${o.listSize}, ${o.connections} connections`, () => runLoad({ ...base, connections: o.connections, request: list, timeoutMs: 30_000 }), p99);
  return results;
}

/** BENCH_SCENARIOS=create,get -> that set; unknown names are an error, not silently nothing. */
export function parseScenarios(text: string | undefined): ReadonlySet<ScenarioName> | undefined {
  if (!text) return undefined;
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SCENARIOS as readonly string[]).includes(n)) throw new Error(`BENCH_SCENARIOS: unknown scenario ${n} (known: ${SCENARIOS.join(', ')})`);
  }
  return new Set(names as ScenarioName[]);
}
