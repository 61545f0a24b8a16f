/**
 * The node lifecycle controller (pkg/controller/nodelifecycle, "node-lifecycle-controller", as
 * system:serviceaccount:kube-system:node-controller). Every node monitor period (5 s) it judges
 * each Node's health from its Ready heartbeat and its kube-node-lease Lease (health.ts); a node
 * silent past the grace period gets Ready=Unknown through nodes/status, its pods Ready=False
 * (MarkPodsNotReady) and, rate-limited per zone, the NoExecute taint not-ready (Ready=False) or
 * unreachable (Ready=Unknown) with its timeAdded; the taint eviction controller then deletes the
 * pods that do not tolerate it. A node Ready again loses the NoExecute taints at once. The
 * NoSchedule taints follow the Node's conditions on every change of the Node (its work queue).
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { isNotFound } from '../../client/errors.ts';
import { realTimers, type Timers } from '../../client/timers.ts';
import { newEventRecorder } from '../events.ts';
import { formatTime } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { PODS } from '../resources.ts';
import { conditionOf, judgeNodeHealth, type NodeCondition, type NodeHealth } from './health.ts';
import { podsOnNode } from './pods-on-node.ts';
import { hasTaint, noScheduleDiff, NOT_READY_NO_EXECUTE, swapTaints, UNREACHABLE_NO_EXECUTE } from './taints.ts';
import { ZoneLimiter, zoneKey } from './zone-limiter.ts';

export const NODE_LIFECYCLE_CONTROLLER = 'node-lifecycle-controller';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** --node-monitor-period (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** --node-monitor-grace-period (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** nodeStartupGracePeriod, for nodes that never posted status (default 60 s). */
  nodeStartupGracePeriodMs?: number;
  /** --node-eviction-rate: nodes NoExecute-tainted per second per zone (default 0.1). */
  nodeEvictionRate?: number;
}

export interface NodeLifecycleDeps extends WorkloadControllerDeps, NodeLifecycleOptions {
  timers?: Timers;
}

export interface NodeLifecycleController extends Controller {
  /** One monitorNodeHealth pass (what the timer runs every period). */
  monitor(): Promise<void>;
}

export function newNodeLifecycleController(deps: NodeLifecycleDeps): NodeLifecycleController {
  const { client, log } = deps;
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const periodMs = deps.nodeMonitorPeriodMs ?? 5_000;
  const timing = { monitorGracePeriodMs: deps.nodeMonitorGracePeriodMs ?? 40_000, startupGracePeriodMs: deps.nodeStartupGracePeriodMs ?? 60_000 };
  if (!(periodMs > 0) || !(timing.monitorGracePeriodMs > 0) || !(timing.startupGracePeriodMs > 0)) throw new Error(`${NODE_LIFECYCLE_CONTROLLER}: periods must be positive`);
  const limiter = new ZoneLimiter(deps.nodeEvictionRate ?? 0.1, now);
  const nodes = deps.informers.informer<K8sObject>(resources.nodes);
  const leases = deps.informers.informer<K8sObject>(resources.leases);
  const pods = deps.informers.informer<K8sObject>(PODS);
  const onNode = podsOnNode(pods);
  const recorder = newEventRecorder({ client, component: 'node-controller', now, suffix: eventSuffix(deps.random ?? Math.random), log });
  /** nodeHealthMap; entries leave with their Node. */
  const health = new Map<string, NodeHealth>();
  let stopped = false;
  let monitorTimer: unknown;
  let taintTimer: unknown;
  let loop: Promise<void> | undefined;

  nodes.addEventHandler({ add: (n) => deps.queue.add(n.metadata.name ?? ''), update: (_o, n) => deps.queue.add(n.metadata.name ?? '') });

  /** doNoScheduleTaintingPass for one node. */
  const syncNoSchedule = async (name: string): Promise<void> => {
    const node = nodes.get('', name);
    if (!node) return;
    const { add, remove } = noScheduleDiff(node);
    if (add.length || remove.length) {
      try {
        await swapTaints(client, node, add, remove, now);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  };
  const queueController = newQueueController({ name: NODE_LIFECYCLE_CONTROLLER, queue: deps.queue, waitFor: [nodes], sync: syncNoSchedule, log });

  /** MarkPodsNotReady: Ready=False on the node's pods that still claim readiness. */
  const markPodsNotReady = async (node: string): Promise<void> => {
    for (const pod of onNode(node)) {
      const conds: NodeCondition[] = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
      const ready = conds.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const next = conds.map((c) => (c === ready ? { ...c, status: 'False', lastTransitionTime: formatTime(now()) } : c));
      try {
        await client.update(PODS, pod.metadata.namespace ?? '', { ...pod, status: { ...pod.status, conditions: next } }, 'status');
        recorder.event(pod, PODS, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isNotFound(err)) log.error({ err, pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, `${NODE_LIFECYCLE_CONTROLLER}: could not mark pod not ready`);
      }
    }
  };

  /** doNoExecuteTaintingPass: the nodes whose zone has a token get their NoExecute taint. */
  const taintPass = async (): Promise<void> => {
    for (const name of limiter.due()) {
      const node = nodes.get('', name);
      const status = node && conditionOf(node, 'Ready')?.status;
      if (!node || (status !== 'False' && status !== 'Unknown')) continue;
      const [add, remove] = status === 'False' ? [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE] : [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
      try {
        await swapTaints(client, node, [add], [remove], now);
      } catch (err) {
        if (isNotFound(err)) continue;
        log.error({ err, node: name }, `${NODE_LIFECYCLE_CONTROLLER}: could not taint node ${name}; retrying`);
        limiter.add(zoneKey(node.metadata.labels), name);
      }
    }
    if (taintTimer !== undefined) timers.clearTimeout(taintTimer);
    taintTimer = undefined;
    const wait = limiter.nextDueIn();
    if (wait !== undefined && !stopped) taintTimer = timers.setTimeout(() => void taintPass().catch((err) => log.error({ err }, `${NODE_LIFECYCLE_CONTROLLER}: tainting failed`)), Math.max(wait, 100));
  };

  /** processTaintBaseEviction. */
  const taintBasedEviction = async (node: K8sObject, ready: NodeCondition): Promise<void> => {
    const name = node.metadata.name ?? '';
    if (ready.status === 'True') {
      limiter.remove(name);
      if (hasTaint(node, NOT_READY_NO_EXECUTE) || hasTaint(node, UNREACHABLE_NO_EXECUTE)) await swapTaints(client, node, [], [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE], now);
      return;
    }
    const [want, other] = ready.status === 'False' ? [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE] : [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
    // Already tainted for the other failure: swap straight away, as upstream (no new eviction).
    if (hasTaint(node, other)) await swapTaints(client, node, [want], [other], now);
    else if (!hasTaint(node, want)) limiter.add(zoneKey(node.metadata.labels), name);
  };

  const monitorNode = async (node: K8sObject): Promise<void> => {
    const name = node.metadata.name ?? '';
    const lease = leases.get(NODE_LEASE_NAMESPACE, name);
    const t = now();
    const verdict = judgeNodeHealth(node, lease, health.get(name), t, timing);
    let cur = node;
    if (verdict.newConditions) {
      cur = await client.update(resources.nodes, '', { ...node, status: { ...node.status, conditions: verdict.newConditions } }, 'status');
      verdict.health = { ...verdict.health, ready: conditionOf(cur, 'Ready'), readyTransitionTimestamp: t };
    }
    health.set(name, verdict.health);
    const ready = conditionOf(cur, 'Ready');
    if (!ready) return;
    if (ready.status !== 'True' && verdict.observedReady.status === 'True') {
      recorder.event({ ...cur, metadata: { ...cur.metadata, uid: name } }, resources.nodes, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
    if (ready.status !== 'True') await markPodsNotReady(name);
    await taintBasedEviction(cur, ready);
  };

  const monitor = async (): Promise<void> => {
    const all = nodes.list();
    const names = new Set(all.map((n) => n.metadata.name ?? ''));
    for (const name of health.keys()) if (!names.has(name)) health.delete(name);
    limiter.retainZones(new Set(all.map((n) => zoneKey(n.metadata.labels))));
    for (const node of all) {
      if (stopped) return;
      try {
        await monitorNode(node);
      } catch (err) {
        // A Conflict or a failed write: the next pass judges the node again from a fresh cache.
        if (!isNotFound(err)) log.error({ err, node: node.metadata.name }, `${NODE_LIFECYCLE_CONTROLLER}: could not update node health`);
      }
    }
    await taintPass();
  };

  return {
    name: NODE_LIFECYCLE_CONTROLLER,
    monitor,
    run(workers) {
      queueController.run(workers);
      const tick = async (): Promise<void> => {
        if (stopped) return;
        try {
          await monitor();
        } catch (err) {
          log.error({ err }, `${NODE_LIFECYCLE_CONTROLLER}: monitoring failed`);
        }
        if (!stopped) monitorTimer = timers.setTimeout(() => void (loop = tick()), periodMs);
      };
      loop = Promise.all([nodes.synced(), leases.synced(), pods.synced()]).then(tick, () => undefined);
    },
    async stop() {
      stopped = true;
      if (monitorTimer !== undefined) timers.clearTimeout(monitorTimer);
      if (taintTimer !== undefined) timers.clearTimeout(taintTimer);
      await Promise.all([queueController.stop(), loop]);
    },
  };
}
