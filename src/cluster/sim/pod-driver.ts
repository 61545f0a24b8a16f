/**
 * Drives the pods bound to simulated nodes through the stages table. One list+watch of all pods
 * (a field selector per node would be 5,000 watches), filtered here by spec.nodeName; only pods of
 * our nodes are kept. Events only schedule a key; the write reads the latest pod and the table
 * again, so a late or repeated write is harmless.
 */
import type { K8sObject, WatchEvent, WatchHandle } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { isNotFound, isResourceExpired } from '../client/errors.ts';
import { objectKey, splitKey } from '../client/keys.ts';
import type { SimConfig } from './config.ts';
import { jobRunTimeOf } from './config.ts';
import type { SimNode } from './heartbeat.ts';
import { dueAt, podStage, type PodStage } from './stages.ts';
import { runningStatus, succeededStatus } from './pod-status.ts';
import type { WritePool } from './write-pool.ts';

export const POD_KEY_PREFIX = 'pod:';
const LIST_PAGE = 500;
const RELIST_BACKOFF_MS = 1_000;

export class PodDriver {
  private readonly pods = new Map<string, K8sObject>();
  private watch: WatchHandle | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  private readonly cfg: SimConfig;
  private readonly nodes: ReadonlyMap<string, SimNode>;
  private readonly pool: WritePool;

  constructor(cfg: SimConfig, nodes: ReadonlyMap<string, SimNode>, pool: WritePool) {
    this.cfg = cfg;
    this.nodes = nodes;
    this.pool = pool;
  }

  /** Pods bound to our nodes, as last seen. */
  list(): K8sObject[] {
    return [...this.pods.values()];
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.close();
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const rv = await this.relist();
        await this.watchFrom(rv);
      } catch (err) {
        if (this.stopped) return;
        this.cfg.log.error({ err }, 'simulated nodes: pods list failed; retrying');
        await this.sleep(RELIST_BACKOFF_MS);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Lists every pod page by page; pods that vanished since the last list count as deleted. */
  private async relist(): Promise<string> {
    const ours = new Map<string, K8sObject>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.cfg.client.list<K8sObject>(resources.pods, '', { limit: LIST_PAGE, ...(cont ? { continue: cont } : {}) });
      for (const p of page.items) if (this.nodes.has(p.spec?.nodeName ?? '')) ours.set(objectKey(p), p);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont && !this.stopped);
    // The gone first, so their addresses are free before the new pods ask for one.
    for (const [key, p] of this.pods) if (!ours.has(key) || ours.get(key)!.metadata.uid !== p.metadata.uid) this.forget(p);
    for (const p of ours.values()) this.observe(p);
    return rv;
  }

  /** Watches from rv until the watch breaks (then relist) or the server ends it (then watch on). */
  private async watchFrom(rv: string): Promise<void> {
    let last = rv;
    while (!this.stopped) {
      let expired = false;
      let errorCode = 0;
      const err = await new Promise<Error | undefined>((resolve) => {
        this.watch = this.cfg.client.watch<K8sObject>(
          resources.pods,
          '',
          { resourceVersion: last, allowWatchBookmarks: true },
          (e: WatchEvent<K8sObject>) => {
            if (e.type === 'ERROR') {
              // 410: history compacted, relist at once; any other error waits a little first.
              expired = true;
              errorCode = Number((e.object as { code?: unknown }).code);
              this.watch?.close();
              return;
            }
            const v = e.object.metadata?.resourceVersion;
            if (v) last = v;
            if (e.type === 'ADDED' || e.type === 'MODIFIED') this.observe(e.object);
            else if (e.type === 'DELETED') this.forget(e.object);
          },
          resolve,
        );
      });
      this.watch = undefined;
      if (this.stopped) return;
      if (expired && errorCode !== 410) await this.sleep(RELIST_BACKOFF_MS);
      if (expired || (err && isResourceExpired(err))) return;
      if (err) {
        this.cfg.log.error({ err }, 'simulated nodes: pods watch broke; relisting');
        await this.sleep(RELIST_BACKOFF_MS);
        return;
      }
    }
  }

  /** Keeps the pod if it is bound to one of our nodes and schedules its next stage. */
  private observe(pod: K8sObject): boolean {
    const node = this.nodes.get(pod.spec?.nodeName ?? '');
    if (!node) return false;
    const key = objectKey(pod);
    // A write's answer can be newer than an event still on its way: never step back to it
    // (it would run the stage it already ran). Revisions here are the store's integers.
    const known = this.pods.get(key);
    if (known && known.metadata.uid === pod.metadata.uid && Number(known.metadata.resourceVersion) > Number(pod.metadata.resourceVersion)) return true;
    this.pods.set(key, pod);
    // After a restart, the address in its status stays the pod's.
    if (typeof pod.status?.podIP === 'string' && pod.status.phase === 'Running') node.ips.claim(key, pod.status.podIP);
    this.consider(key, pod);
    return true;
  }

  private forget(pod: K8sObject): void {
    const key = objectKey(pod);
    const known = this.pods.get(key);
    if (!known) return;
    this.pods.delete(key);
    this.pool.forget(POD_KEY_PREFIX + key);
    this.nodes.get(known.spec?.nodeName ?? '')?.ips.release(key);
  }

  private consider(key: string, pod: K8sObject): void {
    const stage = podStage(pod);
    if (!stage) return;
    const now = this.cfg.now();
    this.pool.addAfter(POD_KEY_PREFIX + key, this.due(stage, pod, now) - now);
  }

  private due(stage: PodStage, pod: K8sObject, now: number): number {
    return dueAt(stage, pod, now, jobRunTimeOf(pod, this.cfg.jobRunTimeMs));
  }

  /** The write of one pod (called by the pool): the stage that is due now, if any. */
  async sync(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    const stage = podStage(pod);
    if (!stage) return;
    const now = this.cfg.now();
    const due = this.due(stage, pod, now);
    if (due > now) {
      this.pool.addAfter(POD_KEY_PREFIX + key, due - now);
      return;
    }
    const node = this.nodes.get(pod.spec?.nodeName ?? '')!;
    const { namespace, name } = splitKey(key);
    try {
      if ('delete' in stage.next) {
        await node.client.delete(resources.pods, namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
        return;
      }
      let status: Record<string, unknown>;
      if (stage.next.status === 'running') {
        const podIP = node.ips.allocate(key);
        if (podIP === undefined) throw new Error(`no pod IP left on node ${node.name}`);
        status = runningStatus(pod, { podIP, hostIP: node.hostIP }, now);
      } else {
        status = succeededStatus(pod, now);
        // The sandbox is gone: its address may go to the next pod (the status keeps it, as kubelet's does).
        node.ips.release(key);
      }
      const updated = await node.client.patch<K8sObject>(resources.pods, namespace, name, 'merge', { status }, 'status');
      // The answer is newer than what we saw; the watch's event for it will say the same.
      if (this.pods.has(key)) this.pods.set(key, updated);
      this.consider(key, updated);
    } catch (err) {
      // Gone meanwhile: its DELETED event forgets it.
      if (isNotFound(err)) return;
      throw err;
    }
  }
}
