/**
 * The Available condition of each APIService, as kube-aggregator's AvailableConditionController
 * sets it: Local ones are always available; one backed by a Service is available when its
 * endpoint resolves and answers GET /apis/<group>/<version> with a 2xx over verified TLS.
 * Checked when an APIService changes and again every resync period, one check per APIService at
 * a time; the status is written only when the condition changes.
 */
import type { Store } from '../../storage/types.ts';
import { rfc3339 } from '../../api/time.ts';
import { mutate } from '../store-mutate.ts';
import { EndpointError, resolveEndpoint } from './endpoint.ts';
import { backendRequest, type ProxyClientCert } from './transport.ts';
import { APISERVICE_PREFIX } from './api-services.ts';

type Obj = Record<string, any>;

export interface Availability {
  status: 'True' | 'False';
  reason: string;
  message: string;
  /** The backend's APIResourceList, from a passed discovery check. */
  discovery?: Obj;
}

/** A discovery document larger than this is not kept (the check still counts as passed). */
export const MAX_DISCOVERY_BYTES = 1024 * 1024;

function parseDiscovery(chunks: Buffer[], size: number): Obj | undefined {
  if (size > MAX_DISCOVERY_BYTES) return undefined;
  try {
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return doc && typeof doc === 'object' && Array.isArray(doc.resources) ? doc : undefined;
  } catch {
    return undefined;
  }
}

export const DISCOVERY_CHECK_TIMEOUT_MS = 5000;

export interface CheckDeps {
  store: Store;
  random: () => number;
  proxyClientCert?: ProxyClientCert;
  /** Whether this server serves the group/version itself (then it is never proxied). */
  servedLocally: (group: string, version: string) => boolean;
}

/** The discovery check: GET /apis/<group>/<version> as the aggregator's own identity. */
function discoveryCheck(deps: CheckDeps, a: Obj, endpoint: { host: string; port: number; serverName: string }): Promise<Availability> {
  const path = `/apis/${a.spec.group}/${a.spec.version}`;
  const url = `https://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}${path}`;
  const failed = (detail: string): Availability => ({ status: 'False', reason: 'FailedDiscoveryCheck', message: `failing or missing response from ${url}: ${detail}` });
  return new Promise((resolve) => {
    const req = backendRequest({
      endpoint,
      apiService: a,
      method: 'GET',
      path,
      headers: { accept: 'application/json' },
      user: { username: 'system:kube-aggregator', groups: ['system:masters'] },
      proxyClientCert: deps.proxyClientCert,
    });
    const timer = setTimeout(() => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')), DISCOVERY_CHECK_TIMEOUT_MS);
    req.on('response', (res) => {
      const code = res.statusCode ?? 0;
      if (code < 200 || code >= 300) {
        clearTimeout(timer);
        res.resume();
        resolve(failed(`bad status from ${url}: ${code}`));
        return;
      }
      // The body is kept (bounded) for this server's discovery documents.
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_DISCOVERY_BYTES) chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: 'True', reason: 'Passed', message: 'all checks passed', discovery: parseDiscovery(chunks, size) });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        resolve(failed(err.message));
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve(failed(err.message));
    });
    req.end();
  });
}

export async function checkAvailability(deps: CheckDeps, a: Obj): Promise<Availability> {
  const svc = a.spec?.service;
  if (!svc) return { status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
  const group = String(a.spec?.group ?? '');
  const version = String(a.spec?.version ?? '');
  // A group/version this server serves is never handed to another: an APIService cannot take over built-in APIs.
  if (deps.servedLocally(group, version)) {
    return { status: 'False', reason: 'ServedLocally', message: `${group}/${version} is served by this API server and is not proxied` };
  }
  try {
    const endpoint = await resolveEndpoint(deps.store, { namespace: String(svc.namespace ?? ''), name: String(svc.name ?? ''), port: typeof svc.port === 'number' ? svc.port : 443 }, deps.random);
    return await discoveryCheck(deps, a, endpoint);
  } catch (err) {
    if (err instanceof EndpointError) return { status: 'False', reason: err.reason, message: err.message };
    return { status: 'False', reason: 'EndpointsNotFound', message: err instanceof Error ? err.message : String(err) };
  }
}

/** The condition list with Available set; the transition time moves only when the status does. */
export function withAvailable(conditions: Obj[] | undefined, av: Availability, now: Date): Obj[] {
  const list = Array.isArray(conditions) ? conditions.filter((c) => c?.type !== 'Available') : [];
  const old = (conditions ?? []).find((c) => c?.type === 'Available');
  const lastTransitionTime = old && old.status === av.status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now);
  return [...list, { type: 'Available', status: av.status, lastTransitionTime, reason: av.reason, message: av.message }];
}

export function isAvailable(a: Obj): boolean {
  return (a.status?.conditions ?? []).some((c: Obj) => c?.type === 'Available' && c.status === 'True');
}

export interface AvailabilityController {
  /** Check one APIService now (again if a check is running: the newest state wins). */
  enqueue(name: string): void;
  stop(): void;
}

export function startAvailabilityController(
  deps: CheckDeps & {
    now: () => Date;
    log: { error(o: object, msg: string): void };
    resyncMs: number;
    names: () => string[];
    get: (name: string) => Obj | undefined;
    /** The result of each check, the discovery document included. */
    checked?: (name: string, av: Availability) => void;
  },
): AvailabilityController {
  const running = new Set<string>();
  const again = new Set<string>();
  let stopped = false;

  const run = async (name: string): Promise<void> => {
    if (stopped) return;
    if (running.has(name)) {
      again.add(name);
      return;
    }
    running.add(name);
    try {
      const a = deps.get(name);
      if (!a || a.metadata?.deletionTimestamp) {
        deps.checked?.(name, { status: 'False', reason: 'Deleted', message: '' });
        return;
      }
      const av = await checkAvailability(deps, a);
      deps.checked?.(name, av);
      const cur = (a.status?.conditions ?? []).find((c: Obj) => c?.type === 'Available');
      if (cur && cur.status === av.status && cur.reason === av.reason && cur.message === av.message) return;
      await mutate(deps.store, `${APISERVICE_PREFIX}${name}`, (o) => ({ ...o, status: { ...(o.status ?? {}), conditions: withAvailable(o.status?.conditions, av, deps.now()) } }));
    } catch (err) {
      deps.log.error({ err, apiService: name }, 'apiservice availability check failed');
    } finally {
      running.delete(name);
      if (again.delete(name)) void run(name);
    }
  };

  const timer = setInterval(() => {
    for (const n of deps.names()) void run(n);
  }, deps.resyncMs);
  timer.unref();
  return {
    enqueue: (name) => void run(name),
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
