/**
 * Keeps Services' ClusterIPs and their IPAddress objects in step (upstream's
 * ipallocator-repair-controller, pkg/registry/core/service/ipallocator/controller/repairip.go),
 * API-server machinery as the node port repair beside it:
 * - a Service's ClusterIP without its IPAddress (a Service stored before IPAddress objects
 *   existed, the kubernetes Service, a release that raced) gets one; one naming something else is
 *   made again; a ClusterIP outside the service CIDR (stored before the allocator checked it) or
 *   held by two Services is reported on the Service, which has to be recreated;
 * - an IPAddress of the allocator whose Service is gone (a server that died between taking the
 *   address and storing its Service) or no longer holds it is deleted.
 * Each finding is a Warning Event with upstream's reason and message. Upstream deletes a leaked
 * address once it is older than 60 s (a create may still be between its two writes); an address
 * whose Service does not hold it gets the same grace here, since an ExternalName Service being
 * given a ClusterIP is between the same two writes. Deletes are conditional on the revision read.
 */
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { objectKey, storagePrefix } from '../../api/registry/resource-def.ts';
import { StorageError } from '../../storage/types.ts';
import type { RestContext } from './context.ts';
import type { K8sObject } from './objects.ts';
import { canonicalIP } from '../../util/ip-sloppy.ts';
import { inServiceCidr, ipAddressFor, ipAddressKey, MANAGED_BY } from './service-ip.ts';
import { runRepairRounds } from './periodic-repair.ts';

/** Upstream's resync of the repair, as the node port repair's. */
const REPAIR_MS = 3 * 60_000;
/** Upstream's grace before an IPAddress without its Service is deleted (the kube-apiserver's request timeout). */
export const LEAK_GRACE_MS = 60_000;
const CONTROLLER = 'ipallocator-repair-controller';

interface ParentRef {
  group?: string;
  resource?: string;
  namespace?: string;
  name?: string;
}

/** A Service's addresses as upstream's repair reads them (ParseIPSloppy, canonical form; an unparsable one as written). */
function clusterIPsOf(svc: K8sObject): string[] {
  if (svc.spec?.type === 'ExternalName') return [];
  const ips: unknown[] = Array.isArray(svc.spec?.clusterIPs) && svc.spec.clusterIPs.length > 0 ? svc.spec.clusterIPs : [svc.spec?.clusterIP];
  return ips.filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None').map((ip) => canonicalIP(ip) ?? ip);
}

/** Go's %v of a ParentReference pointer: &{group resource namespace name}. */
function goRef(ref: ParentRef | undefined): string {
  return ref ? `&{${ref.group ?? ''} ${ref.resource ?? ''} ${ref.namespace ?? ''} ${ref.name ?? ''}}` : '<nil>';
}

export class ClusterIPRepair {
  readonly #ctx: RestContext;
  readonly #instance: string;
  /** Findings acted on (IPAddresses made, made again or deleted), for tests and logs. */
  repaired = 0;

  constructor(ctx: RestContext, hostname = 'localhost') {
    this.#ctx = ctx;
    this.#instance = `${CONTROLLER}-${hostname}`;
  }

  async runOnce(): Promise<void> {
    const ctx = this.#ctx;
    const ipDef = ctx.registry.get('networking.k8s.io', 'v1', 'ipaddresses');
    const svcDef = ctx.registry.get('', 'v1', 'services');
    if (!ipDef || !svcDef) return;
    // Addresses first: every address listed was made before the Services were listed.
    const addresses = (await ctx.store.list<K8sObject>(storagePrefix(ipDef))).items;
    const services = (await ctx.store.list<K8sObject>(storagePrefix(svcDef))).items.map((s) => s.value);
    const byName = new Map<string, K8sObject>();
    for (const s of services) byName.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
    const listed = new Map(addresses.map((a) => [String(a.value.metadata?.name), a] as const));
    const touched = new Set<string>();
    for (const svc of services) await this.#syncService(svc, listed, byName, touched);
    // An address made again above is checked at the next round, against what it is then.
    for (const a of addresses) if (!touched.has(a.key)) await this.#syncAddress(a.key, a.modRevision, a.value, byName);
  }

  /** The Service as stored now (the round's list may be older than a delete or create that raced it). */
  async #live(namespace: string | undefined, name: string | undefined): Promise<K8sObject | undefined> {
    const def = this.#ctx.registry.get('', 'v1', 'services');
    if (!def || !name) return undefined;
    return (await this.#ctx.store.get<K8sObject>(objectKey(def, String(namespace ?? ''), name)))?.value;
  }

  /** Whether `svc` still holds `ip` as stored now: a repair acts only then. */
  async #stillHolds(svc: K8sObject, ip: string): Promise<boolean> {
    const live = await this.#live(svc.metadata?.namespace, svc.metadata?.name);
    return live !== undefined && live.metadata?.uid === svc.metadata?.uid && clusterIPsOf(live).includes(ip);
  }

  async #syncService(svc: K8sObject, listed: Map<string, { value: K8sObject; modRevision: number }>, byName: Map<string, K8sObject>, touched: Set<string>): Promise<void> {
    const ctx = this.#ctx;
    const where = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    for (const ip of clusterIPsOf(svc)) {
      const family = isIP(ip) === 6 ? 'IPv6' : 'IPv4';
      if (isIP(ip) === 0) {
        await this.#event(svc, 'Service', 'v1', 'ClusterIPNotValid', 'ClusterIPValidation', `Cluster IP ${ip} is not a valid IP; please recreate Service`);
        continue;
      }
      if (!inServiceCidr(ip)) {
        await this.#event(svc, 'Service', 'v1', 'ClusterIPOutOfRange', 'ClusterIPAllocation', `Cluster IP [${family}]: ${ip} is not within any configured Service CIDR; please recreate service`);
        continue;
      }
      const key = ipAddressKey(ctx, ip);
      touched.add(key);
      // Read now, not from the list: it may be older than a create or release that raced it.
      const found = listed.get(ip) ?? (await ctx.store.get<K8sObject>(key));
      if (!found) {
        if (!(await this.#stillHolds(svc, ip))) continue;
        await this.#event(svc, 'Service', 'v1', 'ClusterIPNotAllocated', 'ClusterIPAllocation', `Cluster IP [${family}]: ${ip} is not allocated; repairing`);
        await this.#create(key, ip, svc);
        continue;
      }
      const ref = found.value.spec?.parentRef as ParentRef | undefined;
      const wrongRef = `the ClusterIP [${family}]: ${ip} for Service ${where} has a wrong reference; repairing`;
      if (!ref || (ref.group ?? '') !== '' || ref.resource !== 'services') {
        if (!(await this.#stillHolds(svc, ip))) continue;
        await this.#event(svc, 'Service', 'v1', 'ClusterIPNotAllocated', 'ClusterIPAllocation', wrongRef);
        await this.#recreate(key, found.modRevision, ip, svc);
        continue;
      }
      if (ref.namespace !== svc.metadata?.namespace || ref.name !== svc.metadata?.name) {
        if (!(await this.#stillHolds(svc, ip))) continue;
        // The referenced Service as stored now: one created since the list holds its address rightly.
        const other = byName.get(`${ref.namespace}/${ref.name}`) ?? (await this.#live(ref.namespace, ref.name));
        if (!other) {
          await this.#event(svc, 'Service', 'v1', 'ClusterIPNotAllocated', 'ClusterIPAllocation', wrongRef);
          await this.#recreate(key, found.modRevision, ip, svc);
          continue;
        }
        if (clusterIPsOf(other).includes(ip)) {
          await this.#event(svc, 'Service', 'v1', 'ClusterIPAlreadyAllocated', 'ClusterIPAllocation', `Cluster IP [${family}]:${ip} was assigned to multiple services; please recreate service`);
        }
      }
      const labels = found.value.metadata?.labels ?? {};
      if (labels['ipaddress.kubernetes.io/managed-by'] !== MANAGED_BY || labels['ipaddress.kubernetes.io/ip-family'] !== family) {
        await this.#recreate(key, found.modRevision, ip, svc);
      }
    }
  }

  async #syncAddress(key: string, revision: number, a: K8sObject, byName: Map<string, K8sObject>): Promise<void> {
    if (a.metadata?.labels?.['ipaddress.kubernetes.io/managed-by'] !== MANAGED_BY) return;
    const name = String(a.metadata?.name);
    const ref = a.spec?.parentRef as ParentRef | undefined;
    if (!ref || (ref.group ?? '') !== '' || ref.resource !== 'services') {
      await this.#event(a, 'IPAddress', 'networking.k8s.io/v1', 'IPAddressNotAllocated', 'IPAddressAllocation', `IPAddress ${name} appears to have been modified, not referencing a Service ${goRef(ref)}: cleaning up`);
      await this.#delete(key, revision);
      return;
    }
    const listedSvc = byName.get(`${ref.namespace}/${ref.name}`);
    if (listedSvc && clusterIPsOf(listedSvc).includes(name)) return;
    const age = this.#ctx.now().getTime() - Date.parse(String(a.metadata?.creationTimestamp ?? ''));
    if (!(age > LEAK_GRACE_MS)) return;
    // Decided on the Service as stored now, not as listed.
    const svc = await this.#live(ref.namespace, ref.name);
    if (svc && clusterIPsOf(svc).includes(name)) return;
    if (!svc) {
      await this.#event(a, 'IPAddress', 'networking.k8s.io/v1', 'IPAddressNotAllocated', 'IPAddressAllocation', `IPAddress: ${name} for Service ${ref.namespace}/${ref.name} appears to have leaked: cleaning up`);
    } else {
      await this.#event(a, 'IPAddress', 'networking.k8s.io/v1', 'IPAddressWrongReference', 'IPAddressAllocation', `IPAddress: ${name} for Service ${ref.namespace}/${ref.name} has a wrong reference; cleaning up`);
    }
    await this.#delete(key, revision);
  }

  async #create(key: string, ip: string, svc: K8sObject): Promise<void> {
    try {
      await this.#ctx.store.create(key, ipAddressFor(this.#ctx, ip, svc));
      this.repaired++;
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'KeyExists')) throw err;
    }
  }

  async #recreate(key: string, revision: number, ip: string, svc: K8sObject): Promise<void> {
    if (await this.#delete(key, revision)) await this.#create(key, ip, svc);
  }

  /** Deletes the key if it is still at `revision`; whether it is gone. */
  async #delete(key: string, revision: number): Promise<boolean> {
    try {
      await this.#ctx.store.delete(key, revision);
      this.repaired++;
      return true;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NotFound') return true;
      if (err instanceof StorageError && err.code === 'Conflict') return false;
      throw err;
    }
  }

  /** A Warning Event as upstream's events.k8s.io recorder writes it, in the object's namespace (default for an IPAddress). */
  async #event(obj: K8sObject, kind: string, apiVersion: string, reason: string, action: string, note: string): Promise<void> {
    const ctx = this.#ctx;
    const events = ctx.registry.get('', 'v1', 'events');
    if (!events) return;
    ctx.log.warn({ reason, object: `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}` }, note);
    const namespace = String(obj.metadata?.namespace || 'default');
    const now = ctx.now();
    const name = `${obj.metadata?.name}.${randomBytes(8).toString('hex')}`;
    const micro = `${now.toISOString().slice(0, 19)}.${String(now.getUTCMilliseconds()).padStart(3, '0')}000Z`;
    try {
      await ctx.store.create(objectKey(events, namespace, name), {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace, uid: ctx.newUid(), creationTimestamp: `${now.toISOString().slice(0, 19)}Z` },
        involvedObject: { kind, apiVersion, ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}), name: obj.metadata?.name, uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion },
        reason,
        message: note,
        source: {},
        firstTimestamp: null,
        lastTimestamp: null,
        type: 'Warning',
        eventTime: micro,
        action,
        reportingComponent: CONTROLLER,
        reportingInstance: this.#instance,
      });
    } catch (err) {
      ctx.log.error({ err, reason }, 'recording a ClusterIP repair event failed');
    }
  }
}

/** Runs the repair every 3 minutes (first after one interval); the returned stop waits for a round in flight. */
export function startClusterIPRepair(ctx: RestContext, hostname?: string, intervalMs = REPAIR_MS): () => Promise<void> {
  const repair = new ClusterIPRepair(ctx, hostname);
  return runRepairRounds(intervalMs, () => repair.runOnce(), (err) => ctx.log.error({ err }, 'ClusterIP repair failed'));
}
