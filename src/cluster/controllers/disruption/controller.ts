/**
 * The disruption controller (pkg/controller/disruption/disruption.go): keeps every
 * PodDisruptionBudget's status current — expectedPods, currentHealthy, desiredHealthy,
 * disruptionsAllowed, disruptedPods (evictions awaiting their pod's deletion, dropped after 2
 * minutes), observedGeneration and the DisruptionAllowed condition. The pods/eviction subresource
 * trusts disruptionsAllowed only at the current observedGeneration, so `kubectl drain` stops at a
 * budget. A sync that fails for any reason but a conflict writes the fail-safe status: nothing
 * allowed, condition SyncFailed.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { isConflict } from '../../client/errors.ts';
import { selectorFromMetav1, type LabelSelector } from '../../../api/selectors/label-selector.ts';
import { newEventRecorder } from '../events.ts';
import type { Pod } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, PODS, splitKey } from '../resources.ts';
import { conditionsUpToDate, countHealthy, disruptedPodMap, disruptionAllowedCondition, expectedCounts, setCondition } from './budget.ts';
import { expectedScale, type ScaleSources } from './scale.ts';

const COMPONENT = 'controllermanager';
const NAME = 'disruption-controller';
const PDBS = resources.poddisruptionbudgets;

export type DisruptionControllerDeps = WorkloadControllerDeps;

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string>): boolean =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());

export function newDisruptionController(deps: DisruptionControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const pdbs = deps.informers.informer<K8sObject>(PDBS);
  const pods = deps.informers.informer<Pod>(PODS);
  const sources: ScaleSources = {
    client,
    replicationControllers: deps.informers.informer(resources.replicationcontrollers),
    replicaSets: deps.informers.informer(resources.replicasets),
    deployments: deps.informers.informer(resources.deployments),
    statefulSets: deps.informers.informer(resources.statefulsets),
  };
  // Upstream's recorder component for this controller is "controllermanager".
  const recorder = newEventRecorder({ client, component: COMPONENT, now, suffix: eventSuffix(deps.random ?? Math.random), log });

  const selectorOf = (pdb: K8sObject): LabelSelector | undefined => {
    try {
      return selectorFromMetav1(pdb.spec?.selector);
    } catch {
      return undefined;
    }
  };
  const enqueueFor = (pod: Pod) => {
    for (const pdb of pdbs.byIndex('namespace', pod.metadata.namespace ?? '')) {
      if (selectorOf(pdb)?.matches(pod.metadata.labels)) queue.add(keyOf(pdb));
    }
  };
  pdbs.addEventHandler({ add: (p) => queue.add(keyOf(p)), update: (_o, p) => queue.add(keyOf(p)), delete: (p) => queue.add(keyOf(p)) });
  pods.addEventHandler({
    add: enqueueFor,
    update(old, cur) {
      enqueueFor(cur);
      if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})) enqueueFor(old);
    },
    delete: enqueueFor,
  });
  // A controller's scale changes a percentage budget: resync the budgets of its namespace.
  for (const inf of [sources.replicationControllers, sources.replicaSets, sources.deployments, sources.statefulSets]) {
    inf.addEventHandler({
      update(old, cur) {
        if (old.spec?.replicas === cur.spec?.replicas) return;
        for (const pdb of pdbs.byIndex('namespace', cur.metadata.namespace ?? '')) queue.add(keyOf(pdb));
      },
    });
  }

  const writeStatus = (pdb: K8sObject, status: Record<string, any>) => client.update(PDBS, pdb.metadata.namespace ?? '', { ...pdb, status }, 'status');

  const trySync = async (pdb: K8sObject, key: string): Promise<void> => {
    const selector = selectorOf(pdb);
    if (!selector) throw new Error(`invalid selector of PodDisruptionBudget ${key}`);
    const selected = pods.byIndex('namespace', pdb.metadata.namespace ?? '').filter((p) => selector.matches(p.metadata.labels));
    if (selected.length === 0) recorder.event(pdb, PDBS, 'Normal', 'NoPods', 'No matching pods found');
    let unmanaged: string[] = [];
    let counts;
    try {
      counts = await expectedCounts(pdb, selected, async () => {
        const r = await expectedScale(sources, selected);
        unmanaged = r.unmanaged;
        return r.expectedCount;
      });
    } catch (err) {
      recorder.event(pdb, PDBS, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(err as Error).message}`);
      throw err;
    }
    if (unmanaged.length > 0) {
      recorder.event(pdb, PDBS, 'Warning', 'UnmanagedPods', `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`);
    }
    const t = now();
    const { disrupted, recheckAt, notDeleted } = disruptedPodMap(pdb, selected, t);
    for (const pod of notDeleted) {
      recorder.event(pod, PODS, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.name} to be deleted but it wasn't`);
    }
    const currentHealthy = countHealthy(selected, disrupted, t);
    const { expectedCount, desiredHealthy } = counts;
    // Nothing allowed while no pods are expected: a budget whose first pods just appeared is safe.
    const disruptionsAllowed = expectedCount <= 0 || currentHealthy - desiredHealthy <= 0 ? 0 : currentHealthy - desiredHealthy;
    const st = pdb.status ?? {};
    const unchanged =
      st.currentHealthy === currentHealthy && st.desiredHealthy === desiredHealthy && st.expectedPods === expectedCount &&
      st.disruptionsAllowed === disruptionsAllowed && sameMap(st.disruptedPods, disrupted) &&
      st.observedGeneration === pdb.metadata.generation && conditionsUpToDate(st);
    if (!unchanged) {
      const status: Record<string, any> = {
        currentHealthy, desiredHealthy, expectedPods: expectedCount, disruptionsAllowed,
        ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
        observedGeneration: pdb.metadata.generation,
        conditions: st.conditions,
      };
      status.conditions = disruptionAllowedCondition(status, t);
      await writeStatus(pdb, status);
    }
    if (recheckAt !== undefined) queue.addAfter(key, Math.max(0, recheckAt - t));
  };

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const pdb = pdbs.get(ns, name);
    if (!pdb) return;
    try {
      await trySync(pdb, key);
    } catch (err) {
      if (isConflict(err)) throw err;
      log.error({ err, key }, `${NAME}: failed to sync PDB ${key}`);
      // failSafe: at least make sure the eviction subresource allows nothing.
      const st = pdb.status ?? {};
      const status = {
        ...st,
        disruptionsAllowed: 0,
        conditions: setCondition(st.conditions, { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: (err as Error).message, observedGeneration: st.observedGeneration }, now()),
      };
      // Written only when it differs: an identical write would only wake this PDB again.
      if (JSON.stringify(status) !== JSON.stringify(st)) await writeStatus(pdb, status);
    }
  };

  return newQueueController({
    name: NAME,
    queue,
    waitFor: [pdbs, pods, sources.replicationControllers, sources.replicaSets, sources.deployments, sources.statefulSets],
    sync,
    log,
  });
}
