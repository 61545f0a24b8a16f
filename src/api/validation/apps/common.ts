/** Helpers shared by the apps/v1 controllers' validation (selector/template, IntOrString percents). */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, notSupported, type FieldError, type Path } from '../field-errors.ts';
import { validateNonnegative } from '../meta.ts';
import { isValidPercent } from '../names.ts';
import { selectorFromMetav1, type LabelSelector as Selector } from '../../selectors/label-selector.ts';
import { goIntOrString } from '../core/container.ts';
import { validatePodTemplateSpec, type PodSpecOptions } from '../core/pod-spec.ts';

export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/** metav1.LabelSelectorAsSelector, or undefined when it would fail (already reported elsewhere). */
export function trySelector(sel: LabelSelector | undefined | null): Selector | undefined {
  try {
    return selectorFromMetav1(sel);
  } catch {
    return undefined;
  }
}

export function validatePositiveIntOrPercent(v: number | string | undefined, p: Path): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(p, goIntOrString(v), m));
  return validateNonnegative(v, p);
}

export function intOrPercentValue(v: number | string | undefined): { value: number; percent: boolean } {
  if (typeof v === 'number') return { value: v, percent: false };
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return { value: Number(v.slice(0, -1)), percent: true };
  return { value: 0, percent: false };
}

export function isNotMoreThan100Percent(v: number | string | undefined, p: Path): FieldError[] {
  const { value, percent } = intOrPercentValue(v);
  return percent && value > 100 ? [invalid(p, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/**
 * ValidatePodTemplateSpecForReplicaSet: the selector must select the template's own pods, the pod
 * spec must be valid, and controllers that keep pods running need restartPolicy Always.
 */
export function validateTemplateForController(
  template: PodTemplateSpec | undefined,
  selector: Selector,
  kind: string,
  p: Path,
  opts: PodSpecOptions = {},
): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector.empty && !selector.matches(template?.metadata?.labels)) {
    errs.push(invalid(p.child('metadata', 'labels'), template?.metadata?.labels ?? null, SELECTOR_MISMATCH));
  }
  errs.push(...validatePodTemplateSpec(template, p, opts));
  const rp = template?.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported(p.child('spec', 'restartPolicy'), rp ?? '', ['Always']));
  if (template?.spec?.activeDeadlineSeconds !== undefined && template.spec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(p.child('spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}
