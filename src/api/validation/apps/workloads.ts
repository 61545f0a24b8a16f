/**
 * apps/v1 Deployment, ReplicaSet, StatefulSet and DaemonSet validation (pkg/apis/apps/validation),
 * including the apps/v1 strategy rule that spec.selector is immutable.
 */
import type { DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, ReplicaSet, ReplicaSetSpec, StatefulSet, StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import { forbidden, GoValue, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { semanticEqual, TYPES } from '../equality.ts';
import {
  FIELD_IMMUTABLE,
  goLabelSelector,
  nameIsDNSSubdomain,
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta.ts';
import { goIntOrString } from '../core/container.ts';
import { validatePodTemplateSpec, type PodSpecOptions } from '../core/pod-spec.ts';
import { templateUpdateOptions } from '../core/pod-validation-options.ts';
import {
  intOrPercentValue,
  isNotMoreThan100Percent,
  SELECTOR_MISMATCH,
  trySelector,
  validatePositiveIntOrPercent,
  validateTemplateForController,
} from './common.ts';

type Selectorish = { selector?: import('kubernetes-types/meta/v1.js').LabelSelector };

function validateSelector(spec: Selectorish, kind: string, p: Path): FieldError[] {
  if (!spec.selector) return [required(p.child('selector'))];
  const errs = validateLabelSelector(spec.selector, p.child('selector'));
  if (Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions?.length ?? 0) === 0) {
    errs.push(invalid(p.child('selector'), goLabelSelector(spec.selector), `empty selector is invalid for ${kind}`));
  }
  return errs;
}

function selectorImmutable(next: Selectorish, prev: Selectorish): FieldError[] {
  return semanticEqual(next.selector, prev.selector) ? [] : [invalid(path('spec', 'selector'), goLabelSelector(next.selector), FIELD_IMMUTABLE)];
}

const meta = { namespaced: true, nameFn: nameIsDNSSubdomain };

export function validateDeployment(d: Deployment, opts: PodSpecOptions = {}): FieldError[] {
  const errs = validateObjectMeta(d.metadata, meta);
  const sp = path('spec');
  const spec: DeploymentSpec = d.spec ?? ({ selector: {}, template: {} } as DeploymentSpec);
  errs.push(...validateNonnegative(spec.replicas, sp.child('replicas')));
  errs.push(...validateSelector(spec, 'deployment', sp));
  const sel = trySelector(spec.selector);
  if (!sel) errs.push(invalid(sp.child('selector'), goLabelSelector(spec.selector), 'invalid label selector'));
  else errs.push(...validateTemplateForController(spec.template, sel, 'ReplicaSet', sp.child('template'), opts));
  const st = spec.strategy ?? {};
  const stp = sp.child('strategy');
  switch (st.type) {
    case 'Recreate':
      if (st.rollingUpdate) errs.push(forbidden(stp.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate': {
      const ru = st.rollingUpdate;
      if (!ru) {
        errs.push(required(stp.child('rollingUpdate'), 'this should be defaulted and never be nil'));
        break;
      }
      const rp = stp.child('rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable).value === 0 && intOrPercentValue(ru.maxSurge).value === 0) {
        errs.push(invalid(rp.child('maxUnavailable'), goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
      break;
    }
    default:
      errs.push(notSupported(stp, new GoValue(JSON.stringify(st)), ['Recreate', 'RollingUpdate']));
  }
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')));
  const pds = spec.progressDeadlineSeconds;
  if (pds !== undefined && pds !== null) {
    errs.push(...validateNonnegative(pds, sp.child('progressDeadlineSeconds')));
    if (pds <= (spec.minReadySeconds ?? 0)) errs.push(invalid(sp.child('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  errs.push(...validateDeployment(d, templateUpdateOptions(old.spec?.template)).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...selectorImmutable(d.spec ?? {}, old.spec ?? {}));
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet, opts: PodSpecOptions = {}): FieldError[] {
  const errs = validateObjectMeta(rs.metadata, meta);
  const sp = path('spec');
  const spec: ReplicaSetSpec = rs.spec ?? ({ selector: {} } as ReplicaSetSpec);
  errs.push(...validateNonnegative(spec.replicas, sp.child('replicas')));
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  errs.push(...validateSelector(spec, 'deployment', sp));
  const sel = trySelector(spec.selector);
  if (!sel) errs.push(invalid(sp.child('selector'), goLabelSelector(spec.selector), 'invalid label selector'));
  else errs.push(...validateTemplateForController(spec.template, sel, 'ReplicaSet', sp.child('template'), opts));
  return errs;
}

export function validateReplicaSetUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  const errs = validateObjectMetaUpdate(rs.metadata, old.metadata);
  errs.push(...validateReplicaSet(rs, templateUpdateOptions(old.spec?.template)).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...selectorImmutable(rs.spec ?? {}, old.spec ?? {}));
  return errs;
}

/**
 * The template as the set's pods get it: each volumeClaimTemplate is a volume (the controller adds
 * it), so mounts of claim templates validate. Upstream leaves the pod spec of a StatefulSet
 * unvalidated for this reason ("check that the union of the given volumes and volumeClaims match
 * volume mounts"); this validates that union.
 */
function withClaimVolumes(spec: StatefulSetSpec): StatefulSetSpec['template'] {
  const claims = (spec.volumeClaimTemplates ?? []).map((c) => c.metadata?.name).filter((n): n is string => !!n);
  const t = spec.template;
  if (claims.length === 0 || !t?.spec) return t;
  const have = new Set((t.spec.volumes ?? []).map((v) => v.name));
  const extra = claims.filter((n) => !have.has(n)).map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } }));
  return { ...t, spec: { ...t.spec, volumes: [...(t.spec.volumes ?? []), ...extra] } };
}

export function validateStatefulSet(ss: StatefulSet, opts: PodSpecOptions = {}): FieldError[] {
  const errs = validateObjectMeta(ss.metadata, meta);
  const sp = path('spec');
  const spec: StatefulSetSpec = ss.spec ?? ({ selector: {}, template: {} } as StatefulSetSpec);
  switch (spec.podManagementPolicy ?? '') {
    case '':
      errs.push(required(sp.child('podManagementPolicy')));
      break;
    case 'OrderedReady':
    case 'Parallel':
      break;
    default:
      errs.push(invalid(sp.child('podManagementPolicy'), spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = spec.updateStrategy ?? {};
  switch (us.type ?? '') {
    case '':
      errs.push(required(sp.child('updateStrategy')));
      break;
    case 'OnDelete':
      if (us.rollingUpdate) {
        errs.push(invalid(sp.child('updateStrategy', 'rollingUpdate'), new GoValue(JSON.stringify(us.rollingUpdate)), "only allowed for updateStrategy 'RollingUpdate'"));
      }
      break;
    case 'RollingUpdate':
      if (us.rollingUpdate) {
        const rp = sp.child('updateStrategy', 'rollingUpdate');
        errs.push(...validateNonnegative(us.rollingUpdate.partition, rp.child('partition')));
        if (us.rollingUpdate.maxUnavailable !== undefined) {
          errs.push(...validatePositiveIntOrPercent(us.rollingUpdate.maxUnavailable, rp.child('maxUnavailable')));
          if (intOrPercentValue(us.rollingUpdate.maxUnavailable).value === 0) {
            errs.push(invalid(rp.child('maxUnavailable'), goIntOrString(us.rollingUpdate.maxUnavailable), 'cannot be 0'));
          }
          errs.push(...isNotMoreThan100Percent(us.rollingUpdate.maxUnavailable, rp.child('maxUnavailable')));
        }
      }
      break;
    default:
      errs.push(invalid(sp.child('updateStrategy'), new GoValue(JSON.stringify(us)), "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const rpol = spec.persistentVolumeClaimRetentionPolicy;
  if (rpol) {
    for (const f of ['whenDeleted', 'whenScaled'] as const) {
      const v = rpol[f];
      if (v !== undefined && v !== 'Retain' && v !== 'Delete') {
        errs.push(notSupported(sp.child('persistentVolumeClaimRetentionPolicy', f), v, ['Retain', 'Delete']));
      }
    }
  }
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')));
  errs.push(...validateNonnegative(spec.replicas, sp.child('replicas')));
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  errs.push(...validateNonnegative(spec.ordinals?.start, sp.child('ordinals', 'start')));
  errs.push(...validateSelector(spec, 'statefulset', sp));
  const sel = trySelector(spec.selector);
  const tp = sp.child('template');
  if (!sel) {
    errs.push(invalid(sp.child('selector'), goLabelSelector(spec.selector), ''));
  } else {
    if (!sel.empty && !sel.matches(spec.template?.metadata?.labels)) {
      errs.push(invalid(tp.child('metadata', 'labels'), spec.template?.metadata?.labels ?? null, SELECTOR_MISMATCH));
    }
    errs.push(...validatePodTemplateSpec(withClaimVolumes(spec), tp, opts, false));
  }
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported(tp.child('spec', 'restartPolicy'), rp ?? '', ['Always']));
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined && spec.template.spec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(tp.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export function validateStatefulSetUpdate(ss: StatefulSet, old: StatefulSet): FieldError[] {
  const errs = validateObjectMetaUpdate(ss.metadata, old.metadata);
  errs.push(...validateStatefulSet(ss, templateUpdateOptions(old.spec?.template)).filter((e) => !e.field.startsWith('metadata.')));
  const strip = (s: StatefulSet): Record<string, unknown> => {
    const c = { ...((s.spec ?? {}) as Record<string, unknown>) };
    for (const k of STS_MUTABLE) delete c[k];
    return c;
  };
  if (!semanticEqual(strip(ss), strip(old), TYPES.statefulSetSpec)) {
    errs.push(
      forbidden(
        path('spec'),
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

export function validateDaemonSet(ds: DaemonSet, opts: PodSpecOptions = {}): FieldError[] {
  const errs = validateObjectMeta(ds.metadata, meta);
  const sp = path('spec');
  const spec: DaemonSetSpec = ds.spec ?? ({ selector: {}, template: {} } as DaemonSetSpec);
  errs.push(...validateLabelSelector(spec.selector, sp.child('selector')));
  const sel = trySelector(spec.selector);
  const tp = sp.child('template');
  // A nil selector selects nothing, so it fails this check too (there is no separate Required).
  if (sel && !sel.matches(spec.template?.metadata?.labels)) {
    errs.push(invalid(tp.child('metadata', 'labels'), spec.template?.metadata?.labels ?? null, SELECTOR_MISMATCH));
  }
  if (spec.selector && Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions?.length ?? 0) === 0) {
    errs.push(invalid(sp.child('selector'), goLabelSelector(spec.selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, tp, opts));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported(tp.child('spec', 'restartPolicy'), rp ?? '', ['Always']));
  const ads = spec.template?.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) errs.push(invalid(tp.child('spec', 'activeDeadlineSeconds'), ads, 'activeDeadlineSeconds must be nil for daemon sets'));
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  const us = spec.updateStrategy ?? {};
  const up = sp.child('updateStrategy');
  switch (us.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!ru) {
        errs.push(required(up.child('rollingUpdate')));
        break;
      }
      const rup = up.child('rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rup.child('maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, rup.child('maxSurge')));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, rup.child('maxUnavailable')));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, rup.child('maxSurge')));
      // ValidateRollingUpdateDaemonSet: exactly one of the two is non-zero, checked after the 100% rules.
      const mu = intOrPercentValue(ru.maxUnavailable).value;
      const ms = intOrPercentValue(ru.maxSurge).value;
      if (mu !== 0 && ms !== 0) {
        errs.push(invalid(rup.child('maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      } else if (mu === 0 && ms === 0) {
        errs.push(required(rup.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      }
      break;
    }
    default:
      errs.push(notSupported(up.child('type'), us.type ?? '', ['OnDelete', 'RollingUpdate']));
  }
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')));
  return errs;
}

export function validateDaemonSetUpdate(ds: DaemonSet, old: DaemonSet): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  errs.push(...validateDaemonSet(ds, templateUpdateOptions(old.spec?.template)).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...selectorImmutable(ds.spec ?? {}, old.spec ?? {}));
  return errs;
}
