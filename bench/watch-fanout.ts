import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { newAgent, send, type Target } from './load.ts';
import { CONFIGMAPS, configMapBody } from './shapes.ts';
import { round, summarize, type LatencySummary } from './stats.ts';

export interface FanoutPhaseResult {
  creates: number;
  createConnections: number;
  eventsExpected: number;
  eventsDelivered: number;
  /** From the first create sent to the last event received. */
  durationMs: number;
  eventsPerSec: number;
  createsPerSec: number;
  /** Per (create, watcher): event arrival minus the create's response (0 if the event came first). */
  deliveryFromResponseMs: LatencySummary;
  /** Per (create, watcher): event arrival minus the create's request start. */
  deliveryFromRequestMs: LatencySummary;
  /** Per create: arrival at the LAST watcher minus the create's response. */
  allWatchersFromResponseMs: LatencySummary;
  /** How many events reached a watcher before the creator had read its response. */
  eventsBeforeResponse: number;
  createErrors: number;
}

export interface FanoutResult {
  watchers: number;
  /** Watches whose response headers arrived before the first event was created (upstream sends them at once). */
  headersBeforeFirstEvent: number;
  sequential: FanoutPhaseResult;
  burst: FanoutPhaseResult;
}

interface CreateTiming {
  sentAt: number;
  respondedAt: number;
  arrivals: number[];
}

interface OpenWatch {
  req: ClientRequest;
  /** performance.now() when the response headers arrived; undefined until then. */
  headersAt?: number;
  status?: number;
  error?: string;
}

/**
 * One long-lived watch connection, splitting the stream into JSON lines. Resolves once the
 * request is written, not when the headers arrive: a server may hold the headers back until the
 * first event (node only sends them with the first write unless flushHeaders() is called).
 */
function openWatch(target: Target, agent: Agent, path: string, onEvent: (type: string, name: string, at: number) => void): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.host, port: target.port, method: 'GET', path, agent, headers: { accept: 'application/json' } }, (res) => {
      w.headersAt = performance.now();
      w.status = res.statusCode;
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => (w.error = `watch answered ${res.statusCode}: ${body.slice(0, 500)}`));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() === '') continue;
          const ev = JSON.parse(line) as { type: string; object?: { metadata?: { name?: string } } };
          onEvent(ev.type, ev.object?.metadata?.name ?? '', at);
        }
      });
      res.on('error', () => {});
    });
    const w: OpenWatch = { req };
    const timer = setTimeout(() => req.destroy(new Error('watch request not sent within 10 s')), 10_000);
    req.on('finish', () => {
      clearTimeout(timer);
      resolve(w);
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      w.error ??= e.message;
      reject(e);
    });
    req.end();
  });
}

/**
 * Opens `watchers` watches on an empty namespace, then creates ConfigMaps there and times each
 * event's arrival at every watcher: first one create at a time (latency), then a burst from
 * several connections (throughput).
 */
export async function runWatchFanout(
  target: Target,
  o: { namespace: string; watchers: number; sequentialCreates: number; burstCreates: number; burstConnections: number; timeoutMs: number },
): Promise<FanoutResult> {
  const timings = new Map<string, CreateTiming>();
  const agents: Agent[] = [];
  const watches: OpenWatch[] = [];
  const path = `${CONFIGMAPS(o.namespace)}?watch=true`;
  const onEvent = (type: string, name: string, at: number) => {
    if (type !== 'ADDED') return;
    const t = timings.get(name);
    if (!t) return;
    t.arrivals.push(at);
  };
  try {
    // Open the watches a few at a time: 100 simultaneous TLS handshakes only measure the handshake.
    for (let i = 0; i < o.watchers; i += 10) {
      const batch = [];
      for (let j = i; j < Math.min(o.watchers, i + 10); j++) {
        const agent = newAgent(target.tls);
        agents.push(agent);
        batch.push(openWatch(target, agent, path, onEvent));
      }
      watches.push(...(await Promise.all(batch)));
    }
    // Give the server a moment to register the watches and (if it does) send the headers.
    await new Promise((r) => setTimeout(r, 500));
    const headersBeforeFirstEvent = watches.filter((w) => w.headersAt !== undefined).length;
    const createAgents = Array.from({ length: Math.max(1, o.burstConnections) }, () => newAgent(target.tls));
    agents.push(...createAgents);

    const waitForAll = async (names: string[], deadline: number): Promise<void> => {
      for (let i = 0; i < 100_000 && performance.now() < deadline; i++) {
        if (names.every((n) => (timings.get(n)?.arrivals.length ?? 0) >= o.watchers)) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const create = async (name: string, agent: Agent): Promise<boolean> => {
      const t: CreateTiming = { sentAt: performance.now(), respondedAt: NaN, arrivals: [] };
      timings.set(name, t);
      const r = await send(target, agent, { method: 'POST', path: CONFIGMAPS(o.namespace), body: configMapBody(o.namespace, name) }).catch(() => ({ status: -1 }));
      t.respondedAt = performance.now();
      return r.status === 201;
    };

    // Every watch is registered once the first event reaches all of them.
    await create('sentinel', createAgents[0]!);
    await waitForAll(['sentinel'], performance.now() + o.timeoutMs);
    const seen = timings.get('sentinel')!.arrivals.length;
    if (seen < o.watchers) {
      const errors = [...new Set(watches.map((w) => w.error ?? (w.status === undefined ? 'no response headers' : `status ${w.status}`)))];
      throw new Error(`only ${seen} of ${o.watchers} watchers saw the first event (${errors.join('; ')})`);
    }

    const phase = async (label: string, creates: number, connections: number): Promise<FanoutPhaseResult> => {
      const names = Array.from({ length: creates }, (_, i) => `${label}-${i}`);
      let next = 0;
      let createErrors = 0;
      const start = performance.now();
      const deadline = start + o.timeoutMs;
      await Promise.all(
        createAgents.slice(0, connections).map(async (agent) => {
          while (next < names.length && performance.now() < deadline) {
            if (!(await create(names[next++]!, agent))) createErrors++;
          }
        }),
      );
      const createdAt = performance.now();
      await waitForAll(names, deadline);
      const fromResponse: number[] = [];
      const fromRequest: number[] = [];
      const allWatchers: number[] = [];
      let before = 0;
      let delivered = 0;
      let last = start;
      for (const n of names) {
        const t = timings.get(n);
        if (!t) continue;
        delivered += t.arrivals.length;
        for (const a of t.arrivals) {
          if (a < t.respondedAt) before++;
          fromResponse.push(Math.max(0, a - t.respondedAt));
          fromRequest.push(a - t.sentAt);
          if (a > last) last = a;
        }
        if (t.arrivals.length >= o.watchers) allWatchers.push(Math.max(0, Math.max(...t.arrivals) - t.respondedAt));
      }
      const ms = last - start;
      return {
        creates,
        createConnections: connections,
        eventsExpected: creates * o.watchers,
        eventsDelivered: delivered,
        durationMs: round(ms, 0),
        eventsPerSec: round((delivered / ms) * 1000, 1),
        createsPerSec: round((creates / (createdAt - start)) * 1000, 1),
        deliveryFromResponseMs: summarize(fromResponse),
        deliveryFromRequestMs: summarize(fromRequest),
        allWatchersFromResponseMs: summarize(allWatchers),
        eventsBeforeResponse: before,
        createErrors,
      };
    };
    const sequential = await phase('seq', o.sequentialCreates, 1);
    const burst = await phase('burst', o.burstCreates, o.burstConnections);
    return { watchers: o.watchers, headersBeforeFirstEvent, sequential, burst };
  } finally {
    for (const w of watches) w.req.destroy();
    for (const a of agents) a.destroy();
  }
}
