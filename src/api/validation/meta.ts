/**
 * ObjectMeta validation after apimachinery/pkg/api/validation/objectmeta.go plus the core-group
 * finalizer rule (pkg/apis/core/validation ValidateObjectMeta).
 */
import type { LabelSelector, ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { forbidden, GoValue, goQuote, goStringMap, invalid, path, required, tooLong, type FieldError, type Path } from './field-errors.ts';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.ts';
import { semanticEqual } from './equality.ts';

/** (name, prefix) → messages; prefix is true when checking a generateName. */
export type NameFn = (name: string, prefix: boolean) => string[];

/** generateName gets a random suffix, so a trailing '-' is fine there. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameFn = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameFn = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameFn = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** RBAC (and other path-segment) names: they become one URL path segment, so '/' and '%' are out. */
export const validatePathSegmentName: NameFn = (name, prefix) => {
  const errs: string[] = [];
  if (!prefix) {
    for (const bad of ['.', '..']) if (name === bad) errs.push(`may not be '${bad}'`);
  }
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};

export const IS_NEGATIVE_ERROR = 'must be greater than or equal to 0';
export const FIELD_IMMUTABLE = 'field is immutable';
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateNonnegative(value: number | undefined | null, p: Path): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalid(p, value, IS_NEGATIVE_ERROR)] : [];
}

export function validateImmutable(newVal: unknown, oldVal: unknown, p: Path): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [invalid(p, newVal, FIELD_IMMUTABLE)];
}

export function validateLabelName(name: string, p: Path): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(p, name, m));
}

/** Upstream reports label key and value errors at the labels path itself, not at labels[key]. */
export function validateLabels(labels: Record<string, string> | undefined | null, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, p));
    for (const m of isValidLabelValue(String(v))) errs.push(invalid(p, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined | null, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(p, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(p, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export function validateFinalizers(finalizers: readonly string[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) errs.push(...validateFinalizerName(f, p));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(invalid(p, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

export function validateFinalizerName(name: string, p: Path): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(p, name, m));
}

/** Kube finalizers without a '/' must be one of the well-known ones. */
export function validateKubeFinalizerName(name: string, p: Path): FieldError[] {
  if (!name.includes('/') && !STANDARD_FINALIZERS.has(name)) {
    return [invalid(p, name, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

export function validateOwnerReferences(refs: readonly OwnerReference[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const version = apiVersion.includes('/') ? (apiVersion.split('/')[1] ?? '') : apiVersion;
    const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
    if (!version) errs.push(invalid(p.child('apiVersion'), apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(p.child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(p.child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(p.child('uid'), ref.uid ?? '', 'uid must not be empty'));
    // Events are garbage-collected by TTL; letting them own objects would make deletion surprising.
    if (group === '' && version === 'v1' && ref.kind === 'Event') {
      errs.push(invalid(p, new GoValue(JSON.stringify(ref)), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            p,
            new GoValue(JSON.stringify(refs)),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

export interface MetaOptions {
  namespaced: boolean;
  nameFn: NameFn;
  /** Apply the core-group rule that unqualified finalizers must be standard ones. */
  kubeFinalizers?: boolean;
}

export function validateObjectMeta(meta: ObjectMeta | undefined, opts: MetaOptions, p: Path = path('metadata')): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of opts.nameFn(m.generateName, true)) errs.push(invalid(p.child('generateName'), m.generateName, msg));
  }
  if (!m.name) {
    errs.push(required(p.child('name'), 'name or generateName is required'));
  } else {
    for (const msg of opts.nameFn(m.name, false)) errs.push(invalid(p.child('name'), m.name, msg));
  }
  if (opts.namespaced) {
    if (!m.namespace) errs.push(required(p.child('namespace')));
    else for (const msg of nameIsDNSLabel(m.namespace, false)) errs.push(invalid(p.child('namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(p.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation, p.child('generation')));
  errs.push(...validateLabels(m.labels, p.child('labels')));
  errs.push(...validateAnnotations(m.annotations, p.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, p.child('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, p.child('finalizers')));
  if (opts.kubeFinalizers !== false) {
    (m.finalizers ?? []).forEach((f, i) => errs.push(...validateKubeFinalizerName(f, p.child('finalizers').index(i))));
  }
  return errs;
}

/**
 * Update rules. Note: like upstream this requires metadata.resourceVersion on the new object; the
 * caller copies the stored revision in for unconditional updates before validating.
 */
export function validateObjectMetaUpdate(newMeta: ObjectMeta | undefined, oldMeta: ObjectMeta | undefined, p: Path = path('metadata')): FieldError[] {
  const n = newMeta ?? {};
  const o = oldMeta ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const old = new Set(o.finalizers ?? []);
    const extra = [...new Set((n.finalizers ?? []).filter((f) => !old.has(f)))].sort();
    if (extra.length > 0) {
      errs.push(
        forbidden(
          p.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map(goQuote).join(', ')}}`,
        ),
      );
    }
  }
  if (!n.resourceVersion) errs.push(invalid(p.child('resourceVersion'), n.resourceVersion ?? '', 'must be specified for an update'));
  if ((n.generation ?? 0) < (o.generation ?? 0)) errs.push(invalid(p.child('generation'), n.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutable(n.name ?? '', o.name ?? '', p.child('name')));
  errs.push(...validateImmutable(n.namespace ?? '', o.namespace ?? '', p.child('namespace')));
  errs.push(...validateImmutable(n.uid ?? '', o.uid ?? '', p.child('uid')));
  errs.push(...validateImmutable(n.creationTimestamp ?? '', o.creationTimestamp ?? '', p.child('creationTimestamp')));
  errs.push(...validateImmutable(n.deletionTimestamp ?? null, o.deletionTimestamp ?? null, p.child('deletionTimestamp')));
  errs.push(...validateImmutable(n.deletionGracePeriodSeconds ?? null, o.deletionGracePeriodSeconds ?? null, p.child('deletionGracePeriodSeconds')));
  errs.push(...validateLabels(n.labels, p.child('labels')));
  errs.push(...validateAnnotations(n.annotations, p.child('annotations')));
  errs.push(...validateOwnerReferences(n.ownerReferences, p.child('ownerReferences')));
  return errs;
}

/** metav1 validation.ValidateLabelSelector with AllowInvalidLabelValueInSelector=false. */
export function validateLabelSelector(sel: LabelSelector | undefined | null, p: Path): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, p.child('matchLabels'));
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const ep = p.child('matchExpressions').index(i);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(ep.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(ep.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(ep.child('operator'), expr.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(expr.key ?? '', ep.child('key')));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push(invalid(ep.child('values').index(j), v, m));
    });
  });
  return errs;
}

/** %#v of a *metav1.LabelSelector, for messages that print the whole selector. */
export function goLabelSelector(sel: LabelSelector | undefined | null): GoValue {
  if (!sel) return new GoValue('null');
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goQuote(e.key ?? '')}, Operator:${goQuote(e.operator ?? '')}, Values:${
              e.values ? `[]string{${e.values.map(goQuote).join(', ')}}` : '[]string(nil)'
            }}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoValue(`v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`);
}
