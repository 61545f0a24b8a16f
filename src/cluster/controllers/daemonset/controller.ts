/**
 * The DaemonSet controller (pkg/controller/daemon/daemon_controller.go): level-triggered over the
 * cluster client. DaemonSet, pod and node events enqueue the DaemonSets concerned; a sync claims
 * its ControllerRevisions and pods, finds the current revision's hash, creates a pod on every
 * eligible node that lacks one and deletes those that must go (manage.ts), rolls pods to the
 * current revision (rolling.ts), trims the history and writes the status.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { selectorFromMetav1, type LabelSelector } from '../../../api/selectors/label-selector.ts';
import { claim, getControllerOf } from '../controller-ref.ts';
import { newEventRecorder } from '../events.ts';
import { Expectations } from '../expectations.ts';
import { CONTROLLER_REVISIONS, CONTROLLER_REVISION_HASH_LABEL, type ControllerRevision } from '../history.ts';
import { isPodReady, type Pod } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, PODS, splitKey } from '../resources.ts';
import { writeStatus } from '../statefulset/status.ts';
import { nodeShouldRunDaemonPod, targetNodeName } from './eligibility.ts';
import { DAEMON_BURST_REPLICAS, expectationsSatisfied, plan, syncNodes, type ManageContext } from './manage.ts';
import { DAEMON_SETS, NODES } from './resources.ts';
import { cleanupHistory, constructHistory } from './revisions.ts';
import { rollingUpdate } from './rolling.ts';
import { computeDaemonStatus, daemonStatusChanged } from './status.ts';

export interface DaemonSetControllerDeps extends WorkloadControllerDeps {
  burstReplicas?: number;
}

export const DAEMON_SET_COMPONENT = 'daemonset-controller';

const isTerminal = (p: Pod) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';

export function newDaemonSetController(deps: DaemonSetControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const dss = deps.informers.informer<K8sObject>(DAEMON_SETS);
  const pods = deps.informers.informer<Pod>(PODS);
  const nodes = deps.informers.informer<K8sObject>(NODES);
  const revisions = deps.informers.informer<ControllerRevision>(CONTROLLER_REVISIONS);
  const recorder = newEventRecorder({ client, component: DAEMON_SET_COMPONENT, now, suffix: eventSuffix(deps.random ?? Math.random), log });
  const ctx: ManageContext = { client, recorder, creations: new Expectations(now), deletions: new Expectations(now), burstReplicas: deps.burstReplicas ?? DAEMON_BURST_REPLICAS };

  const selectorOf = (ds: K8sObject): LabelSelector | undefined => {
    try {
      return selectorFromMetav1(ds.spec?.selector);
    } catch {
      return undefined;
    }
  };
  const ownerOf = (pod: Pod): K8sObject | undefined => {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = dss.get(pod.metadata.namespace ?? '', ref.name);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  };
  const enqueueMatching = (pod: Pod) => {
    for (const ds of dss.byIndex('namespace', pod.metadata.namespace ?? '')) {
      const sel = selectorOf(ds);
      if (sel && !sel.empty && sel.matches(pod.metadata.labels)) queue.add(keyOf(ds));
    }
  };
  const podDeleted = (pod: Pod) => {
    const ds = ownerOf(pod);
    if (!ds) return;
    ctx.deletions.deletionObserved(keyOf(ds), keyOf(pod));
    queue.add(keyOf(ds));
  };

  pods.addEventHandler({
    add(pod) {
      if (pod.metadata.deletionTimestamp) return podDeleted(pod);
      const ds = ownerOf(pod);
      if (ds) {
        ctx.creations.creationObserved(keyOf(ds));
        return queue.add(keyOf(ds));
      }
      if (!getControllerOf(pod)) enqueueMatching(pod);
    },
    update(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      if (cur.metadata.deletionTimestamp) return podDeleted(cur);
      const oldRef = getControllerOf(old);
      if (oldRef && oldRef.uid !== getControllerOf(cur)?.uid) {
        const prev = ownerOf(old);
        if (prev) queue.add(keyOf(prev));
      }
      const ds = ownerOf(cur);
      if (ds) {
        queue.add(keyOf(ds));
        const minReady = ds.spec?.minReadySeconds ?? 0;
        if (!isPodReady(old) && isPodReady(cur) && minReady > 0) queue.addAfter(keyOf(ds), minReady * 1000);
        return;
      }
      if (!getControllerOf(cur) && (oldRef || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {}))) enqueueMatching(cur);
    },
    delete: podDeleted,
  });
  dss.addEventHandler({
    add: (ds) => queue.add(keyOf(ds)),
    update: (_o, ds) => queue.add(keyOf(ds)),
    delete(ds) {
      ctx.creations.delete(keyOf(ds));
      ctx.deletions.delete(keyOf(ds));
      queue.add(keyOf(ds));
    },
  });
  // A node joining, or one whose labels or taints change, may change where daemons belong.
  const nodeChanged = (old: K8sObject | undefined, cur: K8sObject) => {
    for (const ds of dss.list()) {
      const a = old ? nodeShouldRunDaemonPod(old, ds) : undefined;
      const b = nodeShouldRunDaemonPod(cur, ds);
      if (!a ? b.shouldRun : a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) queue.add(keyOf(ds));
    }
  };
  nodes.addEventHandler({
    add: (n) => nodeChanged(undefined, n),
    update: (o, n) => nodeChanged(o, n),
    delete: () => {
      for (const ds of dss.list()) queue.add(keyOf(ds));
    },
  });

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const cached = dss.get(ns, name);
    if (!cached) {
      ctx.creations.delete(key);
      ctx.deletions.delete(key);
      return;
    }
    const ds = structuredClone(cached);
    const selector = selectorOf(ds);
    if (!selector) {
      log.error({ key }, `${DAEMON_SET_COMPONENT}: invalid selector of ${key}`);
      return;
    }
    if (selector.empty) {
      recorder.event(ds, DAEMON_SETS, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    const nodeList = [...nodes.list()].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    const owned = await claim({ client, owner: ds, ownerResource: DAEMON_SETS, selector, resource: CONTROLLER_REVISIONS }, revisions.byIndex('namespace', ns));
    const { cur, old } = await constructHistory(client, ds, owned);
    const hash = cur.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    const claimed = await claim({ client, owner: ds, ownerResource: DAEMON_SETS, selector, resource: PODS }, pods.byIndex('namespace', ns));
    // getNodesToDaemonPods: pods by the node they are bound or aimed at; deleted finished ones no longer count.
    const nodeToPods = new Map<string, Pod[]>();
    for (const p of claimed) {
      if (p.metadata.deletionTimestamp && isTerminal(p)) continue;
      const node = targetNodeName(p);
      if (node === undefined) continue;
      const list = nodeToPods.get(node) ?? [];
      list.push(p);
      nodeToPods.set(node, list);
    }
    let firstErr: unknown;
    const observe = expectationsSatisfied(ctx, key);
    if (observe) {
      try {
        const { needing, toDelete } = plan(ds, nodeList, nodeToPods, hash);
        await syncNodes(ctx, ds, toDelete, needing, hash);
        if (expectationsSatisfied(ctx, key) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
          await rollingUpdate(ctx, ds, nodeList, nodeToPods, hash, now());
        }
        await cleanupHistory(client, ds, old, claimed);
      } catch (err) {
        firstErr = err;
      }
    }
    const status = computeDaemonStatus(ds, nodeList, nodeToPods, hash, now());
    const generation = observe ? ds.metadata.generation : ds.status?.observedGeneration;
    try {
      if (daemonStatusChanged(ds, status, generation)) await writeStatus(client, DAEMON_SETS, ds, { ...status, observedGeneration: generation });
    } catch (err) {
      firstErr ??= err;
    }
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.numberReady !== status.numberAvailable) queue.addAfter(key, minReady * 1000);
    if (firstErr !== undefined) throw firstErr;
  };

  return newQueueController({ name: DAEMON_SET_COMPONENT, queue, waitFor: [dss, pods, nodes, revisions], sync, log });
}
