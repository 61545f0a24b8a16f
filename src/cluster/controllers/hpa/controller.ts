/**
 * The HorizontalPodAutoscaler controller (pkg/controller/podautoscaler/horizontal.go
 * reconcileAutoscaler) over the cluster client: every HPA is reconciled every resync period
 * (15 s, on the injected queue's clock): the target's /scale is read, a replica count computed from
 * resource metrics (metrics.k8s.io through the controller's own client), stabilized and rate
 * limited, written back through /scale, and the HPA's status and conditions written with
 * upstream's reasons and events.
 */
import { resources } from '../../client/resources.ts';
import type { Controller, K8sObject, ResourceRef } from '../../client/types.ts';
import { parseLabelSelector } from '../../../api/selectors/label-selector.ts';
import { newEventRecorder, type EventRecorder } from '../events.ts';
import { formatTime } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, PODS, splitKey } from '../resources.ts';
import { ReplicaNormalizer, type Behavior } from './behavior.ts';
import { computeReplicasForMetrics, type MetricSpec } from './compute.ts';
import { setCondition, type HpaCondition } from './conditions.ts';
import { apiMetricsSource, type MetricsSource } from './metrics-source.ts';
import type { CalculatorOptions } from './replica-calculator.ts';

export const HPAS = resources.horizontalpodautoscalers;

export interface HpaControllerDeps extends WorkloadControllerDeps {
  /** Default: metrics.k8s.io through deps.client. */
  metrics?: MetricsSource;
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  resyncMs?: number;
  downscaleStabilisationMs?: number;
  calculator?: CalculatorOptions;
}

type Hpa = K8sObject;

function targetResource(ref: { apiVersion?: string; kind?: string }): ResourceRef {
  const apiVersion = String(ref.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const r = Object.values(resources).find((x) => x.kind === ref.kind && x.group === group);
  if (!r) throw new Error(`no matches for kind ${JSON.stringify(ref.kind)} in group ${JSON.stringify(group)}`);
  return r;
}

export function newHpaController(deps: HpaControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const resyncMs = deps.resyncMs ?? 15_000;
  const metrics = deps.metrics ?? apiMetricsSource(client);
  const hpas = deps.informers.informer<Hpa>(HPAS);
  const pods = deps.informers.informer<K8sObject>(PODS);
  const normalizer = new ReplicaNormalizer(now, deps.downscaleStabilisationMs);
  const recorder: EventRecorder = newEventRecorder({ client, component: 'horizontal-pod-autoscaler', now, suffix: eventSuffix(deps.random ?? Math.random), log });

  hpas.addEventHandler({
    add: (h) => queue.add(keyOf(h)),
    update: (o, n) => {
      if (JSON.stringify(o.spec) !== JSON.stringify(n.spec)) queue.add(keyOf(n));
    },
    delete: (h) => {
      normalizer.forget(keyOf(h));
      queue.forget(keyOf(h));
    },
  });

  async function reconcile(original: Hpa): Promise<void> {
    const hpa: Hpa = structuredClone(original);
    const key = keyOf(hpa);
    const ns = hpa.metadata.namespace ?? '';
    const spec = hpa.spec ?? {};
    const status: Record<string, any> = hpa.status ?? {};
    const conditions: HpaCondition[] = [...(status.conditions ?? [])];
    const nowIso = formatTime(now());
    const cond = (c: Omit<HpaCondition, 'lastTransitionTime'>) => setCondition(conditions, c, nowIso);
    const warn = (reason: string, message: string) => recorder.event(hpa, HPAS, 'Warning', reason, message);
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind}/${ns}/${ref.name}`;
    const writeStatus = async (s: Record<string, unknown>) => {
      const next = { ...s, conditions };
      if (JSON.stringify(next) === JSON.stringify(original.status ?? {})) return;
      await client.update<Hpa>(HPAS, ns, { ...hpa, status: next }, 'status');
    };

    let target: ResourceRef;
    let scale: K8sObject;
    try {
      target = targetResource(ref);
      scale = await client.get<K8sObject>(target, ns, String(ref.name ?? ''), 'scale');
    } catch (err) {
      const msg = (err as Error).message;
      warn('FailedGetScale', msg);
      cond({ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${msg}` });
      await writeStatus({ ...status });
      throw new Error(`failed to query scale subresource for ${reference}: ${msg}`);
    }
    cond({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
    const currentReplicas = Number(scale.spec?.replicas ?? 0);
    normalizer.recordInitial(key, currentReplicas);
    const minReplicas = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
    const maxReplicas = Number(spec.maxReplicas ?? 0);
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: unknown[] = status.currentMetrics ?? [];
    let retErr: Error | undefined;

    if (currentReplicas === 0 && minReplicas !== 0) {
      rescale = false;
      cond({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const selector = String(scale.status?.selector ?? '');
      if (!selector) {
        warn('SelectorRequired', 'selector is required');
        cond({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
        await writeStatus({ ...status, currentReplicas });
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: selector is required`);
      }
      let sel;
      try {
        sel = parseLabelSelector(selector);
      } catch (err) {
        const msg = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
        warn('InvalidSelector', msg);
        cond({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: msg });
        await writeStatus({ ...status, currentReplicas });
        throw new Error(msg);
      }
      const targetPods = pods.byIndex('namespace', ns).filter((p) => sel.matches(p.metadata.labels));
      const r = await computeReplicasForMetrics({ namespace: ns, metrics: (spec.metrics ?? []) as MetricSpec[], specReplicas: currentReplicas, selector, pods: targetPods, source: metrics, now: now(), options: deps.calculator, warn });
      metricStatuses = r.statuses;
      cond(r.condition);
      if (r.replicas === -1) {
        await writeStatus({ ...status, currentReplicas, currentMetrics: metricStatuses });
        warn('FailedComputeMetricsReplicas', r.error!.message);
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${r.error!.message}`);
      }
      retErr = r.error;
      let rescaleMetric = '';
      if (r.replicas > desiredReplicas) [desiredReplicas, rescaleMetric] = [r.replicas, r.metricName];
      if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      const n = normalizer.normalize({ key, behavior: spec.behavior as Behavior | undefined, minReplicas, maxReplicas, currentReplicas, desiredReplicas });
      for (const c of n.conditions) cond(c);
      desiredReplicas = n.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    let lastScaleTime = status.lastScaleTime;
    if (rescale) {
      try {
        await client.update<K8sObject>(target, ns, { ...scale, spec: { ...scale.spec, replicas: desiredReplicas } }, 'scale');
      } catch (err) {
        const msg = (err as Error).message;
        warn('FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${msg}`);
        cond({ type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${msg}` });
        await writeStatus({ ...status, currentReplicas, currentMetrics: metricStatuses });
        throw new Error(`failed to rescale ${reference}: ${msg}`);
      }
      cond({ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desiredReplicas}` });
      recorder.event(hpa, HPAS, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      normalizer.recordScale(key, spec.behavior as Behavior | undefined, currentReplicas, desiredReplicas);
      lastScaleTime = nowIso;
    } else desiredReplicas = currentReplicas;

    const next: Record<string, unknown> = { ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}), currentReplicas, desiredReplicas, currentMetrics: metricStatuses };
    if (lastScaleTime) next.lastScaleTime = lastScaleTime;
    await writeStatus(next);
    if (retErr) throw retErr;
  }

  return newQueueController({
    name: 'horizontal-pod-autoscaler-controller',
    queue,
    waitFor: [hpas, pods],
    log,
    async sync(key) {
      const [ns, name] = splitKey(key);
      const hpa = hpas.get(ns, name);
      if (!hpa) return;
      try {
        await reconcile(hpa);
      } catch (err) {
        log.error({ err, key }, 'horizontal-pod-autoscaler-controller: reconcile failed');
      } finally {
        // Upstream's fixed-interval limiter: every HPA comes back after the resync period, error or not.
        queue.addAfter(key, resyncMs);
      }
    },
  });
}
