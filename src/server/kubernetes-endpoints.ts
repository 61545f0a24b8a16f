/**
 * The endpoints of the `kubernetes` Service in default: every API server's advertised address, as
 * kube-apiserver's lease endpoint reconciler (--endpoint-reconciler-type=lease) keeps them. Each
 * server renews a lease named by its address every 10 s (valid 15 s); the Endpoints and the
 * EndpointSlice `kubernetes` list the addresses of the live leases, so a server that stops (or
 * dies) drops out, and servers sharing one store agree on the set. The service proxy on the
 * nodes then DNATs 10.96.0.1:443 to them like any other Service.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { internalPrefix, objectKey } from '../api/registry/resource-def.ts';
import { rfc3339 } from '../api/time.ts';
import { jsonEqual } from '../api/json-equal.ts';
import { StorageError } from '../storage/types.ts';
import type { RestContext } from './rest/context.ts';
import { bootstrapKubernetesService } from './bootstrap.ts';
import type { K8sObject } from './rest/objects.ts';

/** Under a fixed middle segment, so the storage metrics' type label is one value (leases._masterleases). */
const LEASES = internalPrefix('masterleases', 'leases');
const RECONCILE_MS = 10_000;
const LEASE_TTL_MS = 15_000;
/** Upstream's labels: the Endpoints are not mirrored (the reconciler writes the slice itself). */
const SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
const SERVICE_NAME = 'kubernetes.io/service-name';

interface Lease {
  ip: string;
  port: number;
  expires: string;
}

/**
 * The address other hosts reach this server at (upstream's --advertise-address default): the bind
 * address, or for a wildcard bind the first non-internal IPv4 address of the host. Undefined when
 * that is a loopback address, which no pod can reach (and Endpoints validation refuses).
 */
export function advertiseAddress(bindAddress: string, given?: string, interfaces = networkInterfaces()): string | undefined {
  let ip = given || (bindAddress === '0.0.0.0' || bindAddress === '::' ? '' : bindAddress);
  if (!ip) {
    for (const list of Object.values(interfaces)) {
      const v4 = list?.find((a) => a.family === 'IPv4' && !a.internal);
      if (v4) {
        ip = v4.address;
        break;
      }
    }
  }
  if (isIP(ip) !== 4 || ip.startsWith('127.')) return undefined;
  return ip;
}

export interface KubernetesEndpointsOptions {
  ip: string;
  port: number;
  now?: () => Date;
  intervalMs?: number;
  ttlMs?: number;
}

/** Starts reconciling; the returned stop gives this server's lease back and writes the endpoints without it. */
export function startKubernetesEndpoints(ctx: RestContext, o: KubernetesEndpointsOptions): () => Promise<void> {
  const now = o.now ?? (() => new Date());
  const ttl = o.ttlMs ?? LEASE_TTL_MS;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = running.then(() => reconcile(ctx, o, now, ttl, true)).catch((err) => ctx.log.error({ err }, 'reconciling the kubernetes Service endpoints failed'));
  };
  tick();
  const timer = setInterval(tick, o.intervalMs ?? RECONCILE_MS);
  timer.unref();
  return async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    await running;
    await reconcile(ctx, o, now, ttl, false).catch((err) => ctx.log.error({ err }, 'removing this API server from the kubernetes endpoints failed'));
  };
}

async function reconcile(ctx: RestContext, o: KubernetesEndpointsOptions, now: () => Date, ttl: number, alive: boolean): Promise<void> {
  if (alive) await bootstrapKubernetesService(ctx, o.port);
  const key = `${LEASES}${o.ip}`;
  const cur = await ctx.store.get<Lease>(key);
  if (alive) {
    const lease: Lease = { ip: o.ip, port: o.port, expires: new Date(now().getTime() + ttl).toISOString() };
    if (cur) await ctx.store.update(key, lease, cur.modRevision);
    else await ctx.store.create(key, lease);
  } else if (cur) await ctx.store.delete(key, cur.modRevision).catch(ignoreRace);
  const leases = await ctx.store.list<Lease>(LEASES);
  const ips: string[] = [];
  for (const l of leases.items) {
    if (Date.parse(l.value.expires) > now().getTime()) ips.push(l.value.ip);
    else await ctx.store.delete(l.key, l.modRevision).catch(ignoreRace);
  }
  ips.sort();
  const port = { name: 'https', port: o.port, protocol: 'TCP' };
  await writeIfChanged(ctx, 'endpoints', { labels: { [SKIP_MIRROR]: 'true' } }, { subsets: ips.length ? [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }] : undefined });
  await writeIfChanged(ctx, 'endpointslices', { labels: { [SERVICE_NAME]: 'kubernetes' } }, { addressType: 'IPv4', endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })), ports: [port] });
}

function ignoreRace(err: unknown): void {
  if (err instanceof StorageError && (err.code === 'NotFound' || err.code === 'Conflict')) return;
  throw err;
}

const KINDS = {
  endpoints: { group: '', version: 'v1', apiVersion: 'v1', kind: 'Endpoints' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
} as const;

/** Creates or updates default/kubernetes of this resource when its labels or body differ; a lost race is settled next time. */
async function writeIfChanged(ctx: RestContext, resource: keyof typeof KINDS, meta: { labels: Record<string, string> }, body: Record<string, unknown>): Promise<void> {
  const k = KINDS[resource];
  const key = objectKey(ctx.registry.get(k.group, k.version, resource)!, 'default', 'kubernetes');
  const cur = await ctx.store.get<K8sObject>(key);
  if (!cur) {
    const obj = { apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'kubernetes', namespace: 'default', uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()), ...meta }, ...body };
    await ctx.store.create(key, obj).catch((err) => {
      if (!(err instanceof StorageError && err.code === 'KeyExists')) throw err;
    });
    return;
  }
  const same = jsonEqual(cur.value.metadata?.labels ?? {}, meta.labels) && Object.entries(body).every(([f, v]) => jsonEqual(cur.value[f], v));
  if (same) return;
  const next = { ...cur.value, metadata: { ...cur.value.metadata, labels: { ...cur.value.metadata?.labels, ...meta.labels } }, ...body };
  await ctx.store.update(key, next, cur.modRevision).catch(ignoreRace);
}
