import { newAgent, runLoad, send, type LoadResult, type Target } from './load.ts';
import { CONFIGMAPS, configMapBody, namespaceBody } from './shapes.ts';

export interface ShapeResults {
  create: LoadResult;
  get: LoadResult;
  list: LoadResult;
  create1: LoadResult;
  get1: LoadResult;
}

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

  o.progress(`create, ${o.connections} connections`);
  const createN = await profiled('create', () => runLoad({ ...base, connections: o.connections, request: create('c50') }));
  o.progress(`  ${createN.rps} req/s, p99 ${createN.latencyMs.p99} ms`);
  o.progress('create, 1 connection');
  const create1 = await profiled('create1', () => runLoad({ ...base, connections: 1, request: create('c1') }));
  o.progress(`  ${create1.rps} req/s, p50 ${create1.latencyMs.p50} ms`);
  o.progress(`get, ${o.connections} connections`);
  const getN = await profiled('get', () => runLoad({ ...base, connections: o.connections, request: get }));
  o.progress(`  ${getN.rps} req/s, p99 ${getN.latencyMs.p99} ms`);
  o.progress('get, 1 connection');
  const get1 = await profiled('get1', () => runLoad({ ...base, connections: 1, request: get }));
  o.progress(`  ${get1.rps} req/s, p50 ${get1.latencyMs.p50} ms`);
  o.progress(`list of ${o.listSize}, ${o.connections} connections`);
  const listN = await profiled('list', () => runLoad({ ...base, connections: o.connections, request: list, timeoutMs: 30_000 }));
  o.progress(`  ${listN.rps} req/s, p99 ${listN.latencyMs.p99} ms`);
  return { create: createN, get: getN, list: listN, create1, get1 };
}
