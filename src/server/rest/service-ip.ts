import { ApiError } from '../../api/errors.ts';
import type { RestContext } from './context.ts';
import type { K8sObject } from './objects.ts';

/** The service CIDR, as kubeadm's default: 10.96.0.0/12. The first address is the `kubernetes` Service's. */
const BASE = (10 << 24) | (96 << 16);
const SIZE = 1 << 20;
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

function toIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function needsClusterIP(svc: K8sObject): boolean {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return false;
  return spec.clusterIP === undefined || spec.clusterIP === '';
}

/** Addresses handed out but perhaps not yet visible in a list, per store (one server may run several in tests). */
const pendingByStore = new WeakMap<object, Set<string>>();

/**
 * Allocates a free ClusterIP for a new Service (upstream's service IP allocator, without its
 * bitmap: the set in use is read from the stored Services). Headless ("None") and ExternalName
 * Services get none.
 */
export async function allocateClusterIP(ctx: RestContext, svc: K8sObject): Promise<() => void> {
  if (!needsClusterIP(svc)) return () => {};
  let pending = pendingByStore.get(ctx.store);
  if (!pending) pendingByStore.set(ctx.store, (pending = new Set()));
  const used = new Set<string>([KUBERNETES_SERVICE_IP, ...pending]);
  const list = await ctx.store.list<K8sObject>('/registry/core/services/');
  for (const s of list.items) for (const ip of s.value.spec?.clusterIPs ?? [s.value.spec?.clusterIP]) if (ip) used.add(ip);
  const start = 2 + Math.floor(ctx.random() * (SIZE - 3));
  for (let i = 0; i < SIZE - 3; i++) {
    const ip = toIp(BASE + 2 + ((start - 2 + i) % (SIZE - 3)));
    if (used.has(ip)) continue;
    pending.add(ip);
    svc.spec = { ...(svc.spec ?? {}), clusterIP: ip, clusterIPs: [ip] };
    return () => pending!.delete(ip);
  }
  throw new ApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
}
