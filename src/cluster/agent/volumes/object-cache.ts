/**
 * The kubelet's watch-based ConfigMap and Secret managers (pkg/kubelet/util/manager
 * watch_based_manager.go): one list+watch per object a pod on the node references, pinned by
 * fieldSelector metadata.name (the only lists the Node authorizer grants a node), started when
 * the first pod registers and stopped when the last one goes; bounded by the pods' references.
 * A change to a watched object calls onChange for every pod that references it, so its volumes
 * are rewritten at once rather than at the next resync.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SharedInformer, type InformerLog } from '../../client/informer.ts';
import { resources } from '../../client/resources.ts';
import { realTimers, type Timers } from '../../client/timers.ts';
import type { ApiClient, K8sObject, ResourceRef } from '../../client/types.ts';

export type ObjectKind = 'configmap' | 'secret';

interface Entry {
  informer: SharedInformer<K8sObject>;
  pods: Set<string>;
}

export interface ObjectCacheOptions {
  client: ApiClient;
  /** Called with the uid of each pod referencing an object that changed. */
  onChange(podUid: string): void;
  /** How long a lookup waits for a new watch's first list (upstream polls for 1 s). */
  syncWaitMs?: number;
  timers?: Timers;
  random?: () => number;
  log?: InformerLog;
}

const RESOURCE: Record<ObjectKind, ResourceRef> = { configmap: resources.configmaps, secret: resources.secrets };

/** The configMaps and secrets a pod's volumes name (env sources are read directly by env.ts). */
export function volumeObjectRefs(pod: Pod): Array<{ kind: ObjectKind; name: string }> {
  const out = new Map<string, { kind: ObjectKind; name: string }>();
  const add = (kind: ObjectKind, name: string | undefined) => name && out.set(`${kind}/${name}`, { kind, name });
  for (const v of pod.spec?.volumes ?? []) {
    add('configmap', v.configMap?.name);
    add('secret', v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add('configmap', s.configMap?.name);
      add('secret', s.secret?.name);
    }
  }
  return [...out.values()];
}

export class ObjectCache {
  #o: ObjectCacheOptions;
  #entries = new Map<string, Entry>();
  /** pod uid → the keys it registered. */
  #byPod = new Map<string, string[]>();

  constructor(o: ObjectCacheOptions) {
    this.#o = o;
  }

  /** Starts watches for what the pod references (and stops those only its old spec did). */
  register(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const ns = pod.metadata?.namespace ?? '';
    const keys = volumeObjectRefs(pod).map((r) => `${r.kind}/${ns}/${r.name}`);
    const old = this.#byPod.get(uid) ?? [];
    if (old.length === keys.length && old.every((k, i) => k === keys[i])) return;
    this.unregister(uid);
    this.#byPod.set(uid, keys);
    for (const key of keys) {
      let e = this.#entries.get(key);
      if (!e) {
        const [kind, namespace, name] = key.split('/') as [ObjectKind, string, string];
        const informer = new SharedInformer<K8sObject>(RESOURCE[kind], { client: this.#o.client, namespace, fieldSelector: `metadata.name=${name}`, timers: this.#o.timers, random: this.#o.random, log: this.#o.log });
        const entry: Entry = { informer, pods: new Set() };
        const changed = () => {
          for (const p of entry.pods) this.#o.onChange(p);
        };
        informer.addEventHandler({ add: changed, update: changed, delete: changed });
        informer.run();
        this.#entries.set(key, (e = entry));
      }
      e.pods.add(uid);
    }
  }

  unregister(uid: string): void {
    for (const key of this.#byPod.get(uid) ?? []) {
      const e = this.#entries.get(key);
      if (!e) continue;
      e.pods.delete(uid);
      if (e.pods.size === 0) {
        e.informer.stop();
        this.#entries.delete(key);
      }
    }
    this.#byPod.delete(uid);
  }

  /**
   * The object as last seen by its watch; undefined when it does not exist. The pod must be
   * registered. Throws upstream's "failed to sync <kind> cache" when the first list has not come.
   */
  async get(kind: ObjectKind, namespace: string, name: string): Promise<K8sObject | undefined> {
    const e = this.#entries.get(`${kind}/${namespace}/${name}`);
    if (!e) throw new Error(`${kind} "${name}" not registered`);
    if (!e.informer.hasSynced()) {
      const wait = this.#o.syncWaitMs ?? 2_000;
      const timers = this.#o.timers ?? realTimers;
      let timer: unknown;
      const timeout = new Promise<'timeout'>((r) => (timer = timers.setTimeout(() => r('timeout'), wait)));
      const res = await Promise.race([e.informer.synced().then(() => 'ok' as const, () => 'timeout' as const), timeout]);
      timers.clearTimeout(timer);
      if (res === 'timeout') throw new Error(`failed to sync ${kind} cache: timed out waiting for the condition`);
    }
    return e.informer.get(namespace, name);
  }

  stop(): void {
    for (const e of this.#entries.values()) e.informer.stop();
    this.#entries.clear();
    this.#byPod.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
