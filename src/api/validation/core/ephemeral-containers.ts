/**
 * Ephemeral containers, as upstream 1.33 validates them (pkg/apis/core/validation):
 * validateEphemeralContainers (part of every pod spec's validation) and
 * ValidatePodEphemeralContainersUpdate (the pods/ephemeralcontainers subresource's update rules:
 * existing ephemeral containers can be neither removed nor changed, static pods get none).
 */
import type { Container, EphemeralContainer, Pod } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, notFound, path, type FieldError, type Path } from '../field-errors.ts';
import { semanticEqual, TYPES } from '../equality.ts';
import { validateContainerCommon } from './container.ts';

/**
 * EphemeralContainerCommon's fields an ephemeral container may not set (upstream's
 * allowedEphemeralContainerFields, false or missing there), in the struct's field order, which is
 * the order upstream reports them in.
 */
const DISALLOWED_FIELDS = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const;

const NOT_FOR_EPHEMERAL = 'cannot be set for an Ephemeral Container';

/**
 * Whether a field differs from its Go zero value: a list or a pointer is set once present (an
 * empty list too, as Go decodes `[]` to a non-nil slice); the resources struct once one of its
 * members is.
 */
function isSet(c: Record<string, unknown>, field: string): boolean {
  const v = c[field];
  if (v === undefined || v === null) return false;
  if (field === 'resources' && typeof v === 'object' && !Array.isArray(v)) return Object.values(v as Record<string, unknown>).some((x) => x !== undefined && x !== null);
  return true;
}

/** validateEphemeralContainers: names unique across every container of the pod, the target a regular or init container, only the allowed fields. */
export function validateEphemeralContainers(
  ephemeral: readonly EphemeralContainer[] | undefined,
  containers: readonly Container[] | undefined,
  initContainers: readonly Container[] | undefined,
  volumes: ReadonlySet<string>,
  p: Path,
  hostUsers = true,
): FieldError[] {
  if (!ephemeral || ephemeral.length === 0) return [];
  const errs: FieldError[] = [];
  const otherNames = new Set<string>();
  for (const c of [...(containers ?? []), ...(initContainers ?? [])]) otherNames.add(c.name);
  const allNames = new Set(otherNames);
  ephemeral.forEach((ec, i) => {
    const ip = p.index(i);
    errs.push(...validateContainerCommon(ec as Container, volumes, ip, hostUsers));
    if (allNames.has(ec.name)) errs.push(duplicate(ip.child('name'), ec.name));
    else allNames.add(ec.name);
    if (ec.targetContainerName && !otherNames.has(ec.targetContainerName)) errs.push(notFound(ip.child('targetContainerName'), ec.targetContainerName));
    const rec = ec as unknown as Record<string, unknown>;
    for (const f of DISALLOWED_FIELDS) if (isSet(rec, f)) errs.push(forbidden(ip.child(f), NOT_FOR_EPHEMERAL));
    (ec.volumeMounts ?? []).forEach((vm, j) => {
      if (vm.subPath) errs.push(forbidden(ip.child('volumeMounts').index(j).child('subPath'), NOT_FOR_EPHEMERAL));
      if (vm.subPathExpr) errs.push(forbidden(ip.child('volumeMounts').index(j).child('subPathExpr'), NOT_FOR_EPHEMERAL));
    });
  });
  return errs;
}

/** A readable stand-in for upstream's cmp.Diff of two ephemeral containers: one line pair per changed field. */
function containerDiff(before: EphemeralContainer, after: EphemeralContainer): string {
  const o = before as unknown as Record<string, unknown>;
  const n = after as unknown as Record<string, unknown>;
  const lines: string[] = [];
  for (const k of [...new Set([...Object.keys(o), ...Object.keys(n)])].sort()) {
    if (semanticEqual(o[k], n[k])) continue;
    lines.push(`-\t${k}: ${JSON.stringify(o[k] ?? null)}`, `+\t${k}: ${JSON.stringify(n[k] ?? null)}`);
  }
  return `  core.EphemeralContainer{\n${lines.join('\n')}\n  }`;
}

/**
 * Part 2 of ValidatePodEphemeralContainersUpdate (part 1, the metadata and the whole pod's spec,
 * is the caller's): a static pod gets none; each existing ephemeral container must still be there,
 * unchanged (found by name: a patch need not keep the order).
 */
export function validateEphemeralContainerChanges(pod: Pod, old: Pod): FieldError[] | 'static' {
  if (old.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return 'static';
  const errs: FieldError[] = [];
  const p = path('spec', 'ephemeralContainers');
  const byName = new Map((pod.spec?.ephemeralContainers ?? []).map((c) => [c.name, c]));
  for (const before of old.spec?.ephemeralContainers ?? []) {
    const after = byName.get(before.name);
    if (!after) errs.push(forbidden(p, `existing ephemeral containers ${JSON.stringify(before.name)} may not be removed\n`));
    else if (!semanticEqual(before, after, TYPES.ephemeralContainer)) errs.push(forbidden(p, `existing ephemeral containers ${JSON.stringify(before.name)} may not be changed\n${containerDiff(before, after)}`));
  }
  return errs;
}

/**
 * The only error a static pod's ephemeral containers update gets (upstream #113935), at
 * field.NewPath(""), which prints as "[]" (a root step with neither name nor index).
 */
export const STATIC_POD_ERROR: FieldError = forbidden('[]', 'static pods do not support ephemeral containers');
