import { ApiError, invalid } from '../../api/errors.ts';
import { objectKey, storagePrefix } from '../../api/registry/resource-def.ts';
import { rfc3339 } from '../../api/time.ts';
import { StorageError } from '../../storage/types.ts';
import type { RestContext } from './context.ts';
import type { K8sObject } from './objects.ts';
import { canonicalIP, parseIPSloppy } from '../../util/ip-sloppy.ts';

/** The service CIDR, as kubeadm's default: 10.96.0.0/12. The first address is the `kubernetes` Service's. */
const BASE = (10 << 24) | (96 << 16);
const SIZE = 1 << 20;
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
/** Upstream's labels on the IPAddress objects its allocator makes (pkg/registry/core/service/ipallocator). */
export const MANAGED_BY = 'ipallocator.k8s.io';

function toIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * An IPv4 address as upstream's allocator reads it (ParseIPSloppy: "010.096.000.005" is
 * 10.96.0.5, "::ffff:10.96.0.5" too). Addresses are taken and compared in their canonical form.
 */
function toNumber(ip: string): number | undefined {
  const p = parseIPSloppy(ip);
  return p?.family === 4 ? Number(p.value) : undefined;
}

/** The canonical forms of a Service's addresses (an unparsable one stays as written). */
function canonicalIPs(list: readonly unknown[]): string[] {
  return list.filter((ip): ip is string => typeof ip === 'string' && ip !== '').map((ip) => canonicalIP(ip) ?? ip);
}

export function ipAddressKey(ctx: RestContext, ip: string): string {
  return objectKey(ctx.registry.get('networking.k8s.io', 'v1', 'ipaddresses')!, '', ip);
}

export function ipAddressFor(ctx: RestContext, ip: string, svc: K8sObject): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IPAddress',
    metadata: {
      name: ip,
      uid: ctx.newUid(),
      creationTimestamp: rfc3339(ctx.now()),
      labels: { 'ipaddress.kubernetes.io/ip-family': 'IPv4', 'ipaddress.kubernetes.io/managed-by': MANAGED_BY },
    },
    spec: { parentRef: { group: '', resource: 'services', namespace: svc.metadata.namespace, name: svc.metadata.name } },
  };
}

/** What allocateClusterIP hands back: the address is kept once the Service is stored, given back otherwise. */
export interface ClusterIPAllocation {
  /** The Service was not stored: free the address again. */
  release(): Promise<void>;
}

const NOTHING: ClusterIPAllocation = { release: async () => {} };

/** The service CIDR as upstream prints it in its allocator's messages. */
const SERVICE_CIDR = '10.96.0.0/12';

/** Whether an address lies in the service CIDR (its network and broadcast addresses included), as upstream's ServiceCIDR containment. */
export function inServiceCidr(ip: string): boolean {
  const n = toNumber(ip);
  return n !== undefined && n >= BASE && n < BASE + SIZE;
}

function clusterIPsOf(svc: K8sObject): string[] {
  const spec = svc.spec ?? {};
  const ips: unknown[] = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip): ip is string => typeof ip === 'string' && ip !== '');
}

function invalidService(svc: K8sObject, field: string, value: string, message: string): ApiError {
  return invalid('Service', '', String(svc.metadata?.name ?? ''), [{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${value}: ${message}` }]);
}

/** Go's %#v of a []string, as upstream's field.Invalid prints spec.clusterIPs. */
function goStrings(list: string[]): string {
  return `[]string{${list.map((s) => JSON.stringify(s)).join(', ')}}`;
}

/**
 * Allocates the ClusterIP of a Service that gets one (created, or made from an ExternalName one) as
 * upstream's IPAddress allocator (the default since 1.33): an address is taken by creating its
 * networking.k8s.io/v1 IPAddress object, named by the address, whose create fails if it exists, so
 * API servers sharing one store never hand out the same address. Addresses of Services stored
 * before IPAddress objects existed (and the kubernetes Service's) are skipped as well. A dry run
 * picks an address without taking it. Headless ("None") and ExternalName Services get none. An
 * address the Service names itself must be one the allocator could hand out: any other would have
 * every node's Service proxy send that address's traffic (the kubernetes Service's, a node's,
 * another pod's, anything outside) to the Service's endpoints.
 */
export async function allocateClusterIP(ctx: RestContext, svc: K8sObject, dryRun = false): Promise<ClusterIPAllocation> {
  if (svc.spec?.type === 'ExternalName') return NOTHING;
  const given = clusterIPsOf(svc)[0];
  if (given === 'None') return NOTHING;
  if (given !== undefined) {
    const n = toNumber(given);
    const failed = (why: string) => invalidService(svc, 'spec.clusterIPs', goStrings(clusterIPsOf(svc)), `failed to allocate IP ${given}: ${why}`);
    // Upstream's MetaAllocator finds no allocator for an address outside every ServiceCIDR; the
    // CIDR's own allocator refuses its network and broadcast addresses.
    if (n === undefined || !inServiceCidr(given)) throw failed('the provided network does not match the current range');
    if (n === BASE || n === BASE + SIZE - 1) throw failed(`the provided IP (${given}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`);
    return takeGivenIp(ctx, svc, canonicalIP(given)!, dryRun);
  }
  const used = new Set<string>([KUBERNETES_SERVICE_IP]);
  const list = await ctx.store.list<K8sObject>(storagePrefix(ctx.registry.get('', 'v1', 'services')!));
  for (const s of list.items) for (const ip of canonicalIPs(s.value.spec?.clusterIPs ?? [s.value.spec?.clusterIP])) used.add(ip);
  const start = 2 + Math.floor(ctx.random() * (SIZE - 3));
  for (let i = 0; i < SIZE - 3; i++) {
    const ip = toIp(BASE + 2 + ((start - 2 + i) % (SIZE - 3)));
    if (used.has(ip)) continue;
    const key = ipAddressKey(ctx, ip);
    if (dryRun) {
      if (await ctx.store.get(key)) continue;
    } else {
      try {
        await ctx.store.create(key, ipAddressFor(ctx, ip, svc));
      } catch (err) {
        // Taken by another Service (maybe on another API server) since the list: try the next.
        if (err instanceof StorageError && err.code === 'KeyExists') continue;
        throw err;
      }
    }
    svc.spec = { ...(svc.spec ?? {}), clusterIP: ip, clusterIPs: [ip] };
    return dryRun ? NOTHING : { release: () => releaseIp(ctx, ip, svc) };
  }
  throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
}

/**
 * A ClusterIP the Service names itself, in the service CIDR: taken the same way, and refused as
 * upstream when another Service has it ('provided IP is already allocated'), the kubernetes
 * Service's 10.96.0.1 included.
 */
async function takeGivenIp(ctx: RestContext, svc: K8sObject, ip: string, dryRun: boolean): Promise<ClusterIPAllocation> {
  const taken = () => invalidService(svc, 'spec.clusterIPs', goStrings(clusterIPsOf(svc)), `failed to allocate IP ${ip}: provided IP is already allocated`);
  const services = await ctx.store.list<K8sObject>(storagePrefix(ctx.registry.get('', 'v1', 'services')!));
  for (const s of services.items) if (canonicalIPs(s.value.spec?.clusterIPs ?? [s.value.spec?.clusterIP]).includes(ip)) throw taken();
  const key = ipAddressKey(ctx, ip);
  if (dryRun) {
    if (await ctx.store.get(key)) throw taken();
    return NOTHING;
  }
  try {
    await ctx.store.create(key, ipAddressFor(ctx, ip, svc));
  } catch (err) {
    if (err instanceof StorageError && err.code === 'KeyExists') throw taken();
    throw err;
  }
  return { release: () => releaseIp(ctx, ip, svc) };
}

/** Deletes the address's IPAddress if it is still the Service's; a failure is logged (the address stays taken, never doubly given). */
async function releaseIp(ctx: RestContext, ip: string, svc: K8sObject): Promise<void> {
  const key = ipAddressKey(ctx, ip);
  try {
    const cur = await ctx.store.get<K8sObject>(key);
    const ref = cur?.value.spec?.parentRef;
    if (!cur || ref?.resource !== 'services' || ref.namespace !== svc.metadata?.namespace || ref.name !== svc.metadata?.name) return;
    await ctx.store.delete(key, cur.modRevision);
  } catch (err) {
    if (err instanceof StorageError && (err.code === 'NotFound' || err.code === 'Conflict')) return;
    ctx.log.error({ err, ip }, 'releasing a Service ClusterIP failed; the address stays allocated');
  }
}

/** A Service is gone: its ClusterIPs are free again (upstream's REST afterDelete). */
export async function releaseClusterIPs(ctx: RestContext, svc: K8sObject): Promise<void> {
  const ips = new Set<string>(canonicalIPs([...(svc.spec?.clusterIPs ?? []), svc.spec?.clusterIP]).filter((ip) => ip !== 'None'));
  for (const ip of ips) if (ip !== KUBERNETES_SERVICE_IP) await releaseIp(ctx, ip, svc);
}

/** An update took addresses off a Service: they are free again. */
export async function releaseDroppedClusterIPs(ctx: RestContext, before: K8sObject, after: K8sObject): Promise<void> {
  const kept = new Set<string>(canonicalIPs([...(after.spec?.clusterIPs ?? []), after.spec?.clusterIP]));
  const dropped = canonicalIPs([...(before.spec?.clusterIPs ?? []), before.spec?.clusterIP]).filter((ip) => !kept.has(ip));
  if (dropped.length > 0) await releaseClusterIPs(ctx, { ...before, spec: { clusterIPs: dropped } });
}
