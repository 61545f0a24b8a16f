/**
 * HorizontalPodAutoscaler between autoscaling/v1 and autoscaling/v2 (the stored version), after
 * upstream's pkg/apis/autoscaling/v1/conversion.go: v1 carries only a CPU utilization target, so
 * everything v2 has beyond it travels in annotations, in upstream's formats, so that a v1 client
 * reading and writing back an object loses nothing:
 * - autoscaling.alpha.kubernetes.io/metrics: the other metric specs, as autoscaling/v2beta1 JSON;
 * - autoscaling.alpha.kubernetes.io/current-metrics: the current metrics, as v2beta1 JSON;
 * - autoscaling.alpha.kubernetes.io/behavior: spec.behavior, as v2 JSON;
 * - autoscaling.alpha.kubernetes.io/conditions: status.conditions.
 * Conversions never throw: an annotation that does not parse is dropped, as upstream ignores it.
 */

type Obj = Record<string, any>;

export const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const ALL = [METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, BEHAVIOR_ANNOTATION, CONDITIONS_ANNOTATION];

const present = (v: unknown): boolean => v !== undefined && v !== null;
const clean = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => present(v)));

function parseJsonArray(s: unknown): Obj[] | undefined {
  if (typeof s !== 'string') return undefined;
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function parseJsonObject(s: unknown): Obj | undefined {
  if (typeof s !== 'string') return undefined;
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const isCpuUtilization = (m: Obj): boolean => m?.type === 'Resource' && m.resource?.name === 'cpu' && present(m.resource?.target?.averageUtilization);

/** v2 MetricSpec -> v2beta1 MetricSpec. */
function specToV2beta1(m: Obj): Obj {
  const t = m[({ Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' } as Record<string, string>)[m.type] ?? '']?.target ?? {};
  switch (m.type) {
    case 'Object':
      return { type: 'Object', object: clean({ target: m.object?.describedObject, metricName: m.object?.metric?.name, targetValue: t.value, selector: m.object?.metric?.selector, averageValue: t.averageValue }) };
    case 'Pods':
      return { type: 'Pods', pods: clean({ metricName: m.pods?.metric?.name, targetAverageValue: t.averageValue, selector: m.pods?.metric?.selector }) };
    case 'Resource':
      return { type: 'Resource', resource: clean({ name: m.resource?.name, targetAverageUtilization: t.averageUtilization, targetAverageValue: t.averageValue }) };
    case 'ContainerResource':
      return { type: 'ContainerResource', containerResource: clean({ name: m.containerResource?.name, container: m.containerResource?.container, targetAverageUtilization: t.averageUtilization, targetAverageValue: t.averageValue }) };
    case 'External':
      return { type: 'External', external: clean({ metricName: m.external?.metric?.name, metricSelector: m.external?.metric?.selector, targetValue: t.value, targetAverageValue: t.averageValue }) };
    default:
      return { type: m.type };
  }
}

/** v2beta1 MetricSpec -> v2 MetricSpec (the target type follows from which value is set). */
function specFromV2beta1(m: Obj): Obj {
  const target = (value: unknown, averageValue: unknown, utilization?: unknown): Obj =>
    present(utilization) ? { type: 'Utilization', averageUtilization: utilization } : present(averageValue) ? { type: 'AverageValue', averageValue } : { type: 'Value', value };
  switch (m?.type) {
    case 'Object':
      return { type: 'Object', object: { describedObject: m.object?.target, metric: clean({ name: m.object?.metricName, selector: m.object?.selector }), target: target(m.object?.targetValue, m.object?.averageValue) } };
    case 'Pods':
      return { type: 'Pods', pods: { metric: clean({ name: m.pods?.metricName, selector: m.pods?.selector }), target: { type: 'AverageValue', averageValue: m.pods?.targetAverageValue } } };
    case 'Resource':
      return { type: 'Resource', resource: { name: m.resource?.name, target: target(undefined, m.resource?.targetAverageValue, m.resource?.targetAverageUtilization) } };
    case 'ContainerResource':
      return { type: 'ContainerResource', containerResource: { name: m.containerResource?.name, container: m.containerResource?.container, target: target(undefined, m.containerResource?.targetAverageValue, m.containerResource?.targetAverageUtilization) } };
    case 'External':
      return { type: 'External', external: { metric: clean({ name: m.external?.metricName, selector: m.external?.metricSelector }), target: target(m.external?.targetValue, m.external?.targetAverageValue) } };
    default:
      return { type: m?.type };
  }
}

/** v2 MetricStatus -> v2beta1 MetricStatus. */
function statusToV2beta1(m: Obj): Obj {
  const c = (src: Obj | undefined): Obj => src?.current ?? {};
  switch (m.type) {
    case 'Object':
      return { type: 'Object', object: clean({ target: m.object?.describedObject, metricName: m.object?.metric?.name, currentValue: c(m.object).value, selector: m.object?.metric?.selector, averageValue: c(m.object).averageValue }) };
    case 'Pods':
      return { type: 'Pods', pods: clean({ metricName: m.pods?.metric?.name, currentAverageValue: c(m.pods).averageValue, selector: m.pods?.metric?.selector }) };
    case 'Resource':
      return { type: 'Resource', resource: clean({ name: m.resource?.name, currentAverageUtilization: c(m.resource).averageUtilization, currentAverageValue: c(m.resource).averageValue }) };
    case 'ContainerResource':
      return { type: 'ContainerResource', containerResource: clean({ name: m.containerResource?.name, container: m.containerResource?.container, currentAverageUtilization: c(m.containerResource).averageUtilization, currentAverageValue: c(m.containerResource).averageValue }) };
    case 'External':
      return { type: 'External', external: clean({ metricName: m.external?.metric?.name, metricSelector: m.external?.metric?.selector, currentValue: c(m.external).value, currentAverageValue: c(m.external).averageValue }) };
    default:
      return { type: m.type };
  }
}

/** v2beta1 MetricStatus -> v2 MetricStatus. */
function statusFromV2beta1(m: Obj): Obj {
  switch (m?.type) {
    case 'Object':
      return { type: 'Object', object: { describedObject: m.object?.target, metric: clean({ name: m.object?.metricName, selector: m.object?.selector }), current: clean({ value: m.object?.currentValue, averageValue: m.object?.averageValue }) } };
    case 'Pods':
      return { type: 'Pods', pods: { metric: clean({ name: m.pods?.metricName, selector: m.pods?.selector }), current: clean({ averageValue: m.pods?.currentAverageValue }) } };
    case 'Resource':
      return { type: 'Resource', resource: { name: m.resource?.name, current: clean({ averageUtilization: m.resource?.currentAverageUtilization, averageValue: m.resource?.currentAverageValue }) } };
    case 'ContainerResource':
      return { type: 'ContainerResource', containerResource: { name: m.containerResource?.name, container: m.containerResource?.container, current: clean({ averageUtilization: m.containerResource?.currentAverageUtilization, averageValue: m.containerResource?.currentAverageValue }) } };
    case 'External':
      return { type: 'External', external: { metric: clean({ name: m.external?.metricName, selector: m.external?.metricSelector }), current: clean({ value: m.external?.currentValue, averageValue: m.external?.currentAverageValue }) } };
    default:
      return { type: m?.type };
  }
}

function withoutAnnotations(metadata: Obj | undefined, drop: readonly string[]): Obj {
  const m = { ...(metadata ?? {}) };
  if (m.annotations) {
    const a = { ...m.annotations };
    for (const k of drop) delete a[k];
    if (Object.keys(a).length > 0) m.annotations = a;
    else delete m.annotations;
  }
  return m;
}

/** autoscaling/v1 -> autoscaling/v2. */
export function hpaV1ToV2(o: Obj): Obj {
  const ann: Obj = o.metadata?.annotations ?? {};
  const spec: Obj = o.spec ?? {};
  const status: Obj | undefined = o.status;
  const metrics: Obj[] = [];
  if (present(spec.targetCPUUtilizationPercentage)) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  for (const m of parseJsonArray(ann[METRICS_ANNOTATION]) ?? []) metrics.push(specFromV2beta1(m));
  const v2spec: Obj = clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas });
  if (metrics.length > 0) v2spec.metrics = metrics;
  const behavior = parseJsonObject(ann[BEHAVIOR_ANNOTATION]);
  if (behavior) v2spec.behavior = behavior;
  const out: Obj = { ...o, apiVersion: 'autoscaling/v2', metadata: withoutAnnotations(o.metadata, ALL), spec: v2spec };
  if (status) {
    const current: Obj[] = [];
    if (present(status.currentCPUUtilizationPercentage)) {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    }
    for (const m of parseJsonArray(ann[CURRENT_METRICS_ANNOTATION]) ?? []) current.push(statusFromV2beta1(m));
    const v2status: Obj = clean({ observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas, desiredReplicas: status.desiredReplicas });
    if (current.length > 0) v2status.currentMetrics = current;
    const conditions = parseJsonArray(ann[CONDITIONS_ANNOTATION]);
    if (conditions) v2status.conditions = conditions;
    out.status = v2status;
  }
  return out;
}

/** autoscaling/v2 -> autoscaling/v1. */
export function hpaV2ToV1(o: Obj): Obj {
  const spec: Obj = o.spec ?? {};
  const metrics: Obj[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  const annotations: Obj = { ...(withoutAnnotations(o.metadata, ALL).annotations ?? {}) };
  if (others.length > 0) annotations[METRICS_ANNOTATION] = JSON.stringify(others.map(specToV2beta1));
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  const v1spec: Obj = clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, targetCPUUtilizationPercentage: cpu?.resource?.target?.averageUtilization });
  const out: Obj = { ...o, apiVersion: 'autoscaling/v1', spec: v1spec };
  const status: Obj | undefined = o.status;
  if (status) {
    const current: Obj[] = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
    const cpuNow = current.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && present(m.resource?.current?.averageUtilization));
    const rest = current.filter((m) => m !== cpuNow);
    if (rest.length > 0) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(rest.map(statusToV2beta1));
    if (Array.isArray(status.conditions) && status.conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
    out.status = clean({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuNow?.resource?.current?.averageUtilization,
    });
  }
  const metadata = { ...(o.metadata ?? {}) };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  out.metadata = metadata;
  return out;
}
