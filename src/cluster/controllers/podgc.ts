/**
 * The pod garbage collector (pkg/controller/podgc/gc_controller.go): every 20 s it force-deletes
 *  - terminated pods (Succeeded/Failed) above --terminated-pod-gc-threshold (default 12500; 0
 *    disables), evicted ones first, then oldest first;
 *  - terminating pods on a not-ready node tainted node.kubernetes.io/out-of-service;
 *  - orphaned pods, bound to a node that is gone: the node name waits 40 s in quarantine (the
 *    node queue), then, if the API server confirms the node does not exist, its pods get phase
 *    Failed and the DisruptionTarget condition (DeletionByPodGC, as 1.33) before the deletion;
 *  - terminating pods that were never scheduled.
 * A pod not yet terminal is patched to Failed first (JSON patch with a uid test), so a pod whose
 * kubelet is gone still ends in a terminal phase; the delete has grace period 0.
 */
import type { Controller, K8sObject } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { isNotFound } from '../client/errors.ts';
import { realTimers, type Timers } from '../client/timers.ts';
import { formatTime, parseTime, type Pod } from './pod-util.ts';
import type { WorkloadControllerDeps } from './queue-controller.ts';
import { PODS } from './resources.ts';

export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12500;
const GC_CHECK_PERIOD_MS = 20_000;
const QUARANTINE_MS = 40_000;
const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
const NAME = 'pod-garbage-collector-controller';

export interface PodGCControllerDeps extends WorkloadControllerDeps {
  /** --terminated-pod-gc-threshold; 0 or less disables the terminated-pod collection. */
  terminatedPodThreshold?: number;
  timers?: Timers;
}

export interface PodGCController extends Controller {
  /** One collection pass (what the timer runs every 20 s). */
  gc(): Promise<void>;
}

type PodCondition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string };

const isTerminated = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isEvicted = (p: Pod): boolean => p.status?.phase === 'Failed' && p.status?.reason === 'Evicted';

/** byEvictionAndCreationTimestamp: evicted first, then oldest, then by name. */
function byEvictionAndCreation(a: Pod, b: Pod): number {
  if (isEvicted(a) !== isEvicted(b)) return isEvicted(a) ? -1 : 1;
  const ta = parseTime(a.metadata.creationTimestamp) ?? 0;
  const tb = parseTime(b.metadata.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

function isNodeReady(node: K8sObject): boolean {
  return (node.status?.conditions ?? []).some((c: PodCondition) => c.type === 'Ready' && c.status === 'True');
}

export function newPodGCController(deps: PodGCControllerDeps): PodGCController {
  const { client, queue: nodeQueue, log } = deps;
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const threshold = deps.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD;
  const pods = deps.informers.informer<Pod>(PODS);
  const nodes = deps.informers.informer<K8sObject>(resources.nodes);
  let stopped = false;
  let timer: unknown;
  let loop: Promise<void> | undefined;

  /** markFailedAndDeletePodWithCondition. */
  const markFailedAndDelete = async (pod: Pod, condition?: PodCondition): Promise<void> => {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    try {
      if (!isTerminated(pod)) {
        const ops: unknown[] = [{ op: 'test', path: '/metadata/uid', value: pod.metadata.uid }];
        if (!pod.status) ops.push({ op: 'add', path: '/status', value: {} });
        ops.push({ op: 'add', path: '/status/phase', value: 'Failed' });
        if (condition) {
          const conds: PodCondition[] = [...(pod.status?.conditions ?? [])];
          const i = conds.findIndex((c) => c.type === condition.type);
          const prev = i >= 0 ? conds[i] : undefined;
          const next = { ...condition, lastTransitionTime: prev?.status === condition.status && prev.lastTransitionTime ? prev.lastTransitionTime : formatTime(now()) };
          if (i >= 0) conds[i] = { ...prev, ...next };
          else conds.push(next);
          ops.push({ op: 'add', path: '/status/conditions', value: conds });
        }
        await client.patch(PODS, ns, name, 'json', ops, 'status');
      }
      await client.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err)) log.error({ err, pod: `${ns}/${name}` }, `${NAME}: could not delete pod ${ns}/${name}`);
    }
  };

  const gcTerminated = async (all: readonly Pod[]) => {
    const terminated = all.filter(isTerminated);
    const excess = terminated.length - threshold;
    if (excess <= 0) return;
    terminated.sort(byEvictionAndCreation);
    await Promise.all(terminated.slice(0, excess).map((p) => markFailedAndDelete(p)));
  };

  const gcTerminatingOutOfService = async (all: readonly Pod[]) => {
    const victims = all.filter((p) => {
      if (!p.metadata.deletionTimestamp) return false;
      const node = nodes.get('', p.spec?.nodeName ?? '');
      return !!node && !isNodeReady(node) && (node.spec?.taints ?? []).some((t: { key?: string }) => t?.key === TAINT_OUT_OF_SERVICE);
    });
    victims.sort(byEvictionAndCreation);
    await Promise.all(victims.map((p) => markFailedAndDelete(p)));
  };

  /** Node names out of quarantine that the API server says are gone. */
  const discoverDeletedNodes = async (): Promise<Set<string>> => {
    const deleted = new Set<string>();
    while (nodeQueue.length > 0 && !stopped) {
      const name = await nodeQueue.get();
      if (name === undefined) break;
      try {
        if (!nodes.get('', name)) {
          await client.get(resources.nodes, '', name);
        }
      } catch (err) {
        // Any other error: the next pass quarantines the name again.
        if (isNotFound(err)) deleted.add(name);
        else log.error({ err, node: name }, `${NAME}: could not get node ${name}`);
      } finally {
        nodeQueue.done(name);
      }
    }
    return deleted;
  };

  const gcOrphaned = async (all: readonly Pod[]) => {
    for (const p of all) {
      const node = p.spec?.nodeName;
      if (node && !nodes.get('', node)) nodeQueue.addAfter(node, QUARANTINE_MS);
    }
    const deleted = await discoverDeletedNodes();
    if (deleted.size === 0) return;
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
    await Promise.all(all.filter((p) => deleted.has(p.spec?.nodeName ?? '')).map((p) => markFailedAndDelete(p, condition)));
  };

  const gcUnscheduledTerminating = async (all: readonly Pod[]) => {
    await Promise.all(all.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName).map((p) => markFailedAndDelete(p)));
  };

  const gc = async (): Promise<void> => {
    const all = pods.list();
    if (threshold > 0) await gcTerminated(all);
    await gcTerminatingOutOfService(all);
    await gcOrphaned(all);
    await gcUnscheduledTerminating(all);
  };

  return {
    name: NAME,
    gc,
    run() {
      const tick = async (): Promise<void> => {
        if (stopped) return;
        try {
          await gc();
        } catch (err) {
          log.error({ err }, `${NAME}: collection failed`);
        }
        if (!stopped) timer = timers.setTimeout(() => void (loop = tick()), GC_CHECK_PERIOD_MS);
      };
      loop = Promise.all([pods.synced(), nodes.synced()]).then(tick, () => undefined);
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      nodeQueue.shutDown();
      await loop;
    },
  };
}
