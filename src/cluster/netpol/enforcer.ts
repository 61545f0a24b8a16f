/**
 * The node agent's NetworkPolicy enforcer: keeps the node's nftables table equal to the policy
 * model of the cluster as the informers see it. Pods, namespaces and admin policies change peers
 * or precedence for everyone, so they re-render the whole table; a NetworkPolicy change sends only
 * the rule chains the table lacks and re-points the local pods the old and the new version select
 * (nftables.ts). Renders are serialized and coalesced: a burst of events becomes one transaction.
 */
import type { InformerFactory, K8sObject, ResourceRef } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { PolicyModel } from './compile.ts';
import { podInfoFromObject } from './manifests.ts';
import { renderNftables, renderPodUpdates } from './nftables.ts';
import type { NamespaceInfo, PodInfo } from './types.ts';
import { CoalescedTask } from '../../util/coalesced-task.ts';

export const NETWORK_POLICIES: ResourceRef = { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true };
export const ADMIN_NETWORK_POLICIES: ResourceRef = { group: 'policy.networking.k8s.io', version: 'v1alpha1', resource: 'adminnetworkpolicies', kind: 'AdminNetworkPolicy', namespaced: false };
export const BASELINE_ADMIN_NETWORK_POLICIES: ResourceRef = { group: 'policy.networking.k8s.io', version: 'v1alpha1', resource: 'baselineadminnetworkpolicies', kind: 'BaselineAdminNetworkPolicy', namespaced: false };

export interface EnforcerOptions {
  factory: InformerFactory;
  nodeName: string;
  /** The cluster's pod networks (CIDRs): ipBlocks never select these addresses. */
  podNetworks: string[];
  /** Whether the cluster serves the policy.networking.k8s.io admin policy kinds. */
  adminPolicies: boolean;
  /** Loads an nftables script (nft -f) into the node's network namespace. */
  apply(script: string): Promise<void>;
  table?: string;
  log?: { info(o: object, msg: string): void; error(o: object, msg: string): void };
  /** Delay before retrying a failed load (default 1 s). */
  retryMs?: number;
}

export interface EnforcerStats {
  fullRenders: number;
  partialRenders: number;
  failures: number;
  lastRuleCount: number;
  lastMs: number;
}

type Json = Record<string, unknown>;

export class NetpolEnforcer {
  readonly stats: EnforcerStats = { fullRenders: 0, partialRenders: 0, failures: 0, lastRuleCount: 0, lastMs: 0 };
  readonly #o: EnforcerOptions;
  #needFull = true;
  #changedPolicies: Json[] = [];
  #knownSets = new Set<string>();
  #knownChains = new Set<string>();
  #podChains = new Map<string, string>();
  /** Chains a full render left: partial renders never delete, so past a bound the next render is full. */
  #chainBound = 0;
  #ready = false;
  readonly #renders: CoalescedTask;

  constructor(o: EnforcerOptions) {
    this.#o = o;
    this.#renders = new CoalescedTask(() => this.#sync(), {
      retryMs: o.retryMs ?? 1000,
      onError: (err) => {
        // What was loaded before stays in force; the next attempt re-renders everything.
        this.stats.failures++;
        this.#needFull = true;
        o.log?.error({ err }, 'loading the NetworkPolicy rules failed; retrying');
      },
    });
  }

  async start(): Promise<void> {
    const f = this.#o.factory;
    const full = () => this.#markFull();
    const pods = f.informer(resources.pods);
    pods.addEventHandler({
      add: full,
      delete: full,
      // Pods change status all the time; only what the model reads matters.
      update: (a, b) => (podKey(a) !== podKey(b) ? full() : undefined),
    });
    f.informer(resources.namespaces).addEventHandler({ add: full, delete: full, update: (a, b) => (JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ? full() : undefined) });
    f.informer(NETWORK_POLICIES).addEventHandler({
      add: (np) => this.#policyChanged([np]),
      update: (a, b) => this.#policyChanged([a, b]),
      delete: (np) => this.#policyChanged([np]),
    });
    if (this.#o.adminPolicies) {
      f.informer(ADMIN_NETWORK_POLICIES).addEventHandler({ add: full, update: full, delete: full });
      f.informer(BASELINE_ADMIN_NETWORK_POLICIES).addEventHandler({ add: full, update: full, delete: full });
    }
    f.start();
    await Promise.all([pods.synced(), f.informer(resources.namespaces).synced(), f.informer(NETWORK_POLICIES).synced(), ...(this.#o.adminPolicies ? [f.informer(ADMIN_NETWORK_POLICIES).synced(), f.informer(BASELINE_ADMIN_NETWORK_POLICIES).synced()] : [])]);
    this.#ready = true;
    this.#markFull();
    await this.idle();
  }

  /** Resolves when no render is pending or running. */
  idle(): Promise<void> {
    return this.#renders.idle();
  }

  stop(): void {
    this.#renders.stop();
  }

  #markFull(): void {
    this.#needFull = true;
    this.#schedule();
  }

  #policyChanged(versions: K8sObject[]): void {
    this.#changedPolicies.push(...(versions as unknown as Json[]));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#ready) this.#renders.schedule();
  }

  async #sync(): Promise<void> {
    const t0 = performance.now();
    const { model, all, local } = this.#snapshot();
    const opts = { podNetworks: this.#o.podNetworks, allPods: all, table: this.#o.table, knownSets: this.#knownSets, knownChains: this.#knownChains, knownPodChains: this.#podChains };
    const full = this.#needFull;
    const changed = this.#changedPolicies;
    this.#needFull = false;
    this.#changedPolicies = [];
    if (full) {
      const r = renderNftables(model, local, opts);
      await this.#o.apply(r.script);
      this.#knownSets = new Set(r.sets);
      this.#knownChains = new Set(r.chains);
      this.#podChains = r.podChains;
      this.#chainBound = 2 * (r.chains.length + r.sets.length) + 1024;
      this.stats.fullRenders++;
      this.stats.lastRuleCount = r.ruleCount;
    } else if (changed.length > 0) {
      const localKeys = new Set(local.map((p) => p.key));
      const affected = [...new Map(changed.flatMap((np) => model.selectedBy(np)).filter((p) => localKeys.has(p.key)).map((p) => [p.key, p])).values()];
      if (affected.length > 0) {
        const r = renderPodUpdates(model, affected, opts);
        // A change that compiles to what the table holds (say, only the policy's labels) sends nothing.
        if (r.script.trim()) await this.#o.apply(r.script);
        for (const s of r.sets) this.#knownSets.add(s);
        for (const c of r.chains) this.#knownChains.add(c);
        for (const [pod, target] of r.podChains) this.#podChains.set(pod, target);
        // Sets and chains no policy uses any more are cleared out by a full render.
        if (this.#knownChains.size + this.#knownSets.size > this.#chainBound) this.#markFull();
        this.stats.partialRenders++;
        this.stats.lastRuleCount = r.ruleCount;
      }
    }
    this.stats.lastMs = performance.now() - t0;
  }

  #snapshot(): { model: PolicyModel; all: PodInfo[]; local: PodInfo[] } {
    const f = this.#o.factory;
    const all: PodInfo[] = [];
    const local: PodInfo[] = [];
    for (const p of f.informer(resources.pods).list()) {
      if (!policed(p)) continue;
      const info = podInfoFromObject(p as unknown as Json);
      if (info.ips.length === 0) continue;
      all.push(info);
      if (p.spec?.nodeName === this.#o.nodeName) local.push(info);
    }
    const namespaces = new Map<string, NamespaceInfo>();
    for (const n of f.informer(resources.namespaces).list()) {
      namespaces.set(n.metadata.name!, { name: n.metadata.name!, labels: { ...(n.metadata.labels ?? {}), 'kubernetes.io/metadata.name': n.metadata.name! } });
    }
    const adminNetworkPolicies = this.#o.adminPolicies ? (f.informer(ADMIN_NETWORK_POLICIES).list() as unknown as Json[]) : [];
    const baseline = this.#o.adminPolicies ? (f.informer(BASELINE_ADMIN_NETWORK_POLICIES).list() as unknown as Json[]).find((b) => (b.metadata as Json | undefined)?.name === 'default') : undefined;
    const model = new PolicyModel({ pods: all, namespaces, policies: { networkPolicies: f.informer(NETWORK_POLICIES).list() as unknown as Json[], adminNetworkPolicies, baselineAdminNetworkPolicy: baseline } });
    return { model, all, local };
  }
}

/** Pods on the host network are the node's own traffic, and finished pods hold no address. */
function policed(p: K8sObject): boolean {
  return !p.spec?.hostNetwork && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

/** What the model reads of a pod: a change elsewhere (conditions, container states) is no change. */
function podKey(p: K8sObject): string {
  return JSON.stringify([policed(p), p.spec?.nodeName, podInfoFromObject(p as unknown as Json)]);
}
