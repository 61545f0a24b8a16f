/**
 * The taint eviction controller (pkg/controller/tainteviction, "taint-eviction-controller"; it
 * acts as node-controller, whose role it shares upstream): a pod on a node with NoExecute taints
 * it does not all tolerate is deleted at once; one tolerating them all is deleted after the
 * smallest tolerationSeconds among the tolerations used, counted from when the controller saw
 * the taints (a toleration without tolerationSeconds tolerates forever). Taints gone or
 * tolerated forever cancel a pending deletion. Before deleting, the pod gets the DisruptionTarget
 * condition (DeletionByTaintManager). Pending deletions are one timer per pod, dropped with it.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { isNotFound } from '../../client/errors.ts';
import { objectKey, splitKey } from '../../client/keys.ts';
import { realTimers, type Timers } from '../../client/timers.ts';
import { retryOnError, type Backoff } from '../../client/retry.ts';
import { toleratesTaint } from '../../scheduler/labels.ts';
import { newEventRecorder } from '../events.ts';
import { formatTime } from '../pod-util.ts';
import { eventSuffix, type WorkloadControllerDeps } from '../queue-controller.ts';
import { PODS } from '../resources.ts';
import { podsOnNode } from './pods-on-node.ts';
import { taintsOf, type Taint } from './taints.ts';

export const TAINT_EVICTION_CONTROLLER = 'taint-eviction-controller';
/** deletePodHandler's retries: 5 runs, 10 ms apart. */
const DELETE_BACKOFF: Backoff = Object.freeze({ steps: 5, durationMs: 10, factor: 0, jitter: 0 });

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface Scheduled {
  createdAt: number;
  fireAt: number;
  timer: unknown;
}

export interface TaintEvictionDeps extends Omit<WorkloadControllerDeps, 'queue'> {
  timers?: Timers;
}

/**
 * GetMatchingTolerations + getMinTolerationTime: undefined when some taint is not tolerated,
 * Infinity when every used toleration tolerates forever, else the smallest delay in ms (>= 0).
 */
export function tolerationDelayMs(taints: readonly Taint[], tolerations: readonly Toleration[]): number | undefined {
  let min = Infinity;
  for (const taint of taints) {
    const used = tolerations.filter((t) => toleratesTaint(t, taint));
    if (used.length === 0) return undefined;
    for (const t of used) if (typeof t.tolerationSeconds === 'number') min = Math.min(min, Math.max(0, t.tolerationSeconds) * 1000);
  }
  return min;
}

const noExecuteTaints = (node: K8sObject | undefined): Taint[] => (node ? taintsOf(node).filter((t) => t.effect === 'NoExecute') : []);

export function newTaintEvictionController(deps: TaintEvictionDeps): Controller {
  const { client, log } = deps;
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const nodes = deps.informers.informer<K8sObject>(resources.nodes);
  const pods = deps.informers.informer<K8sObject>(PODS);
  const onNode = podsOnNode(pods);
  const recorder = newEventRecorder({ client, component: 'taint-eviction-controller', now, suffix: eventSuffix(deps.random ?? Math.random), log });
  const scheduled = new Map<string, Scheduled>();
  const inFlight = new Set<Promise<void>>();
  let started = false;
  let stopped = false;

  const cancel = (key: string, pod?: K8sObject): void => {
    const s = scheduled.get(key);
    if (!s) return;
    timers.clearTimeout(s.timer);
    scheduled.delete(key);
    if (pod) recorder.event(pod, PODS, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  };

  /** addConditionAndDeletePod, retried as upstream's deletePodHandler (any error but NotFound, while running). */
  const evict = async (key: string): Promise<void> => {
    const [ns, name] = [splitKey(key).namespace, splitKey(key).name];
    try {
      await retryOnError(DELETE_BACKOFF, (err) => !isNotFound(err) && !stopped, async () => {
        const pod = await client.get<K8sObject>(PODS, ns, name);
        recorder.event(pod, PODS, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
        const conds: Array<Record<string, unknown>> = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
        const prev = conds.find((c) => c.type === 'DisruptionTarget');
        const cond = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' };
        if (!prev || prev.status !== 'True' || prev.reason !== cond.reason || prev.message !== cond.message) {
          const next = [...conds.filter((c) => c !== prev), { ...cond, lastTransitionTime: prev?.status === 'True' ? prev.lastTransitionTime : formatTime(now()) }];
          await client.patch(PODS, ns, name, 'json', [
            { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
            ...(pod.status ? [] : [{ op: 'add', path: '/status', value: {} }]),
            { op: 'add', path: '/status/conditions', value: next },
          ], 'status');
        }
        await client.delete(PODS, ns, name, { preconditions: { uid: pod.metadata.uid } });
      });
    } catch (err) {
      if (!isNotFound(err)) log.error({ err, pod: key }, `${TAINT_EVICTION_CONTROLLER}: could not delete pod ${key}`);
    }
  };

  const fire = (key: string): void => {
    scheduled.delete(key);
    if (stopped) return;
    const p = evict(key).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  /** processPodOnNode. */
  const processPod = (pod: K8sObject, taints: readonly Taint[]): void => {
    const key = objectKey(pod);
    if (pod.metadata.deletionTimestamp) return;
    if (taints.length === 0) return cancel(key, pod);
    const delay = tolerationDelayMs(taints, Array.isArray(pod.spec?.tolerations) ? pod.spec.tolerations : []);
    const t = now();
    if (delay === undefined) {
      cancel(key, pod);
      return fire(key);
    }
    if (delay === Infinity) return cancel(key, pod);
    const prev = scheduled.get(key);
    const createdAt = prev?.createdAt ?? t;
    const fireAt = createdAt + delay;
    if (prev && prev.fireAt <= fireAt) return;
    if (prev) cancel(key, pod);
    if (fireAt <= t) return fire(key);
    scheduled.set(key, { createdAt, fireAt, timer: timers.setTimeout(() => fire(key), fireAt - t) });
  };

  const processNode = (node: K8sObject): void => {
    if (!started || stopped) return;
    const taints = noExecuteTaints(node);
    for (const pod of onNode(node.metadata.name ?? '')) processPod(pod, taints);
  };
  const onPod = (pod: K8sObject): void => {
    if (!started || stopped || !pod.spec?.nodeName) return;
    processPod(pod, noExecuteTaints(nodes.get('', pod.spec.nodeName)));
  };

  nodes.addEventHandler({
    add: processNode,
    update: (o, n) => {
      if (JSON.stringify(noExecuteTaints(o)) !== JSON.stringify(noExecuteTaints(n))) processNode(n);
    },
  });
  pods.addEventHandler({
    add: onPod,
    update: (o, n) => {
      if (o.spec?.nodeName !== n.spec?.nodeName || JSON.stringify(o.spec?.tolerations) !== JSON.stringify(n.spec?.tolerations)) onPod(n);
    },
    delete: (p) => cancel(objectKey(p)),
  });

  return {
    name: TAINT_EVICTION_CONTROLLER,
    run() {
      void Promise.all([nodes.synced(), pods.synced()]).then(() => {
        if (stopped) return;
        started = true;
        for (const n of nodes.list()) processNode(n);
      }, () => undefined);
    },
    async stop() {
      stopped = true;
      for (const key of [...scheduled.keys()]) cancel(key);
      await Promise.all([...inFlight]);
    },
  };
}
