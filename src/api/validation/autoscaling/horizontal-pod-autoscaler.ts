/**
 * autoscaling HorizontalPodAutoscaler validation (pkg/apis/autoscaling/validation). Upstream
 * validates the internal (v2-shaped) object whatever version was sent, so autoscaling/v1 objects
 * are converted to v2 first and their errors carry v2 paths, as upstream's do.
 */
import { forbidden, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate, validatePathSegmentName, validateLabelSelector } from '../meta.ts';
import { isDNS1123Label, isQualifiedName } from '../names.ts';
import { formatQty, parseQty, qtySign, QUANTITY_FORMAT_ERROR } from '../../quantity.ts';
import { hpaV1ToV2 } from '../../conversion/autoscaling.ts';

type Obj = Record<string, any>;

const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SOURCE_FIELD: Record<string, string> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };
const present = (v: unknown): boolean => v !== undefined && v !== null;

function validateCrossVersionObjectReference(ref: Obj | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = typeof ref?.[f] === 'string' ? ref[f] : '';
    if (v === '') errs.push(required(p.child(f)));
    else for (const m of validatePathSegmentName(v, false)) errs.push(invalid(p.child(f), v, m));
  }
  return errs;
}

function validateMetricIdentifier(id: Obj | undefined, p: Path): FieldError[] {
  const name = typeof id?.name === 'string' ? id.name : '';
  if (name === '') return [required(p.child('name'), 'must specify a metric name')];
  const errs = validatePathSegmentName(name, false).map((m) => invalid(p.child('name'), name, m));
  errs.push(...validateLabelSelector(id?.selector, p.child('selector')));
  return errs;
}

function validateMetricTarget(t: Obj | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const type = t?.type ?? '';
  if (type === '') errs.push(required(p.child('type'), 'must specify a metric target type'));
  else if (!['AverageValue', 'Utilization', 'Value'].includes(type)) errs.push(notSupported(p.child('type'), type, ['AverageValue', 'Utilization', 'Value']));
  if (present(t?.value)) errs.push(...positiveQuantity(t!.value, p.child('value')));
  if (present(t?.averageValue)) errs.push(...positiveQuantity(t!.averageValue, p.child('averageValue')));
  if (present(t?.averageUtilization) && t!.averageUtilization < 1) errs.push(invalid(p.child('averageUtilization'), t!.averageUtilization, 'must be greater than 0'));
  return errs;
}

function positiveQuantity(q: unknown, p: Path): FieldError[] {
  const pq = parseQty(q);
  if (!pq) return [invalid(p, q, QUANTITY_FORMAT_ERROR)];
  return qtySign(pq) === 1 ? [] : [invalid(p, formatQty(pq), 'must be positive')];
}

function validateResourceName(name: unknown, p: Path): FieldError[] {
  const n = typeof name === 'string' ? name : '';
  if (n === '') return [required(p, 'must specify a resource name')];
  return isQualifiedName(n).map((m) => invalid(p, n, m));
}

function validateSource(type: string, src: Obj, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const target = src.target ?? {};
  switch (type) {
    case 'Object':
      errs.push(...validateCrossVersionObjectReference(src.describedObject, p.child('describedObject')), ...validateMetricIdentifier(src.metric, p.child('metric')), ...validateMetricTarget(target, p.child('target')));
      if (!present(target.value) && !present(target.averageValue)) errs.push(required(p.child('target', 'averageValue'), 'must set either a target value or averageValue'));
      break;
    case 'External':
      errs.push(...validateMetricIdentifier(src.metric, p.child('metric')), ...validateMetricTarget(target, p.child('target')));
      if (!present(target.value) && !present(target.averageValue)) errs.push(required(p.child('target', 'averageValue'), 'must set either a target value for metric or a per-pod target'));
      if (present(target.value) && present(target.averageValue)) errs.push(forbidden(p.child('target', 'value'), 'may not set both a target value for metric and a per-pod target'));
      break;
    case 'Pods':
      errs.push(...validateMetricIdentifier(src.metric, p.child('metric')), ...validateMetricTarget(target, p.child('target')));
      if (!present(target.averageValue)) errs.push(required(p.child('target', 'averageValue'), 'must specify a positive target averageValue'));
      break;
    case 'ContainerResource':
    case 'Resource':
      errs.push(...validateResourceName(src.name, p.child('name')));
      if (type === 'ContainerResource') {
        if (!src.container) errs.push(required(p.child('container'), 'must specify a container'));
        else for (const m of isDNS1123Label(src.container)) errs.push(invalid(p.child('container'), src.container, m));
      }
      errs.push(...validateMetricTarget(target, p.child('target')));
      if (!present(target.averageUtilization) && !present(target.averageValue)) {
        errs.push(required(p.child('target', 'averageUtilization'), 'must set either a target raw value or a target utilization'));
      }
      if (present(target.averageUtilization) && present(target.averageValue)) {
        errs.push(forbidden(p.child('target', 'averageValue'), 'may not set both a target raw value and a target utilization'));
      }
      break;
  }
  return errs;
}

function validateMetricSpec(m: Obj, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const type = typeof m?.type === 'string' ? m.type : '';
  if (type === '') errs.push(required(p.child('type'), 'must specify a metric source type'));
  if (!METRIC_TYPES.includes(type)) errs.push(notSupported(p.child('type'), type, METRIC_TYPES));
  const present_ = Object.values(SOURCE_FIELD).filter((f) => present(m?.[f]));
  // Only the first source present is validated, as upstream.
  const first = present_[0];
  const firstType = Object.keys(SOURCE_FIELD).find((t) => SOURCE_FIELD[t] === first);
  if (first && firstType) errs.push(...validateSource(firstType, m[first], p.child(first)));
  const expected = SOURCE_FIELD[type];
  if (expected && !present(m?.[expected])) errs.push(required(p.child(expected), 'must populate information for the given metric source'));
  if (!expected && type !== '') errs.push(notSupported(p.child('type'), type, METRIC_TYPES));
  if (present_.length > 1) for (const f of present_) if (f !== expected) errs.push(forbidden(p.child(f), 'must populate the given metric source only'));
  return errs;
}

function validateScalingRules(rules: Obj | undefined, p: Path): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const sw = rules.stabilizationWindowSeconds;
  if (typeof sw === 'number' && sw < 0) errs.push(invalid(p.child('stabilizationWindowSeconds'), sw, 'must be greater than or equal to zero'));
  if (typeof sw === 'number' && sw > MAX_STABILIZATION_WINDOW_SECONDS) errs.push(invalid(p.child('stabilizationWindowSeconds'), sw, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  if (present(rules.selectPolicy) && !['Disabled', 'Max', 'Min'].includes(rules.selectPolicy)) errs.push(notSupported(p.child('selectPolicy'), rules.selectPolicy, ['Disabled', 'Max', 'Min']));
  const policies: Obj[] = Array.isArray(rules.policies) ? rules.policies : [];
  if (policies.length === 0) errs.push(required(p.child('policies'), 'must specify at least one Policy'));
  policies.forEach((pol, i) => {
    const pp = p.child('policies').index(i);
    if (pol?.type !== 'Pods' && pol?.type !== 'Percent') errs.push(notSupported(pp.child('type'), pol?.type ?? '', ['Percent', 'Pods']));
    if (!((pol?.value ?? 0) > 0)) errs.push(invalid(pp.child('value'), pol?.value ?? 0, 'must be greater than zero'));
    const ps = pol?.periodSeconds ?? 0;
    if (ps <= 0) errs.push(invalid(pp.child('periodSeconds'), ps, 'must be greater than zero'));
    if (ps > MAX_PERIOD_SECONDS) errs.push(invalid(pp.child('periodSeconds'), ps, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

function validateSpec(spec: Obj, lowerBound: number): FieldError[] {
  const sp = path('spec');
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = spec.maxReplicas ?? 0;
  if (present(min) && min < lowerBound) errs.push(invalid(sp.child('minReplicas'), min, `must be greater than or equal to ${lowerBound}`));
  if (max < 1) errs.push(invalid(sp.child('maxReplicas'), max, 'must be greater than 0'));
  if (present(min) && max < min) errs.push(invalid(sp.child('maxReplicas'), max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateCrossVersionObjectReference(spec.scaleTargetRef, sp.child('scaleTargetRef')));
  const metrics: Obj[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  metrics.forEach((m, i) => errs.push(...validateMetricSpec(m, sp.child('metrics').index(i))));
  if (min === 0 && !metrics.some((m) => m?.type === 'Object' || m?.type === 'External')) {
    errs.push(forbidden(sp.child('metrics'), 'must specify at least one Object or External metric to support scaling to zero replicas'));
  }
  if (spec.behavior) {
    errs.push(...validateScalingRules(spec.behavior.scaleUp, sp.child('behavior', 'scaleUp')));
    errs.push(...validateScalingRules(spec.behavior.scaleDown, sp.child('behavior', 'scaleDown')));
  }
  return errs;
}

const asV2 = (o: Obj): Obj => (o?.apiVersion === 'autoscaling/v1' ? hpaV1ToV2(o) : o);

export function validateHorizontalPodAutoscaler(hpa: Obj): FieldError[] {
  const o = asV2(hpa);
  // The HPAScaleToZero gate is alpha (off): minReplicas must be at least 1.
  return [...validateObjectMeta(o.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain }), ...validateSpec(o.spec ?? {}, 1)];
}

export function validateHorizontalPodAutoscalerUpdate(hpa: Obj, old: Obj): FieldError[] {
  const o = asV2(hpa);
  const before = asV2(old);
  const lowerBound = before.spec?.minReplicas === 0 ? 0 : 1;
  const errs = validateObjectMetaUpdate(o.metadata, before.metadata);
  errs.push(...validateSpec(o.spec ?? {}, lowerBound));
  errs.push(...validateNonnegative(o.status?.currentReplicas, path('status', 'currentReplicas')));
  errs.push(...validateNonnegative(o.status?.desiredReplicas, path('status', 'desiredReplicas')));
  return errs;
}
