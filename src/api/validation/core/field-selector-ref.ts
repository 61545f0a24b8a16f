/**
 * A pod's downward API `fieldRef`s (env[].valueFrom.fieldRef, downwardAPI volume items and
 * projected downwardAPI items), validated as upstream 1.33's validateObjectFieldSelector with
 * podshelper.ConvertDownwardAPIFieldLabel: apiVersion v1, a field label the pod conversion knows,
 * a subscript only on labels and annotations (a qualified name), and a path of the given set.
 * The node agent refuses an unknown path too (env.ts), at container start.
 */
import type { ObjectFieldSelector } from 'kubernetes-types/core/v1.js';
import { invalid, notSupported, required, type FieldError, type Path } from '../field-errors.ts';
import { isQualifiedName } from '../names.ts';

/** validEnvDownwardAPIFieldPathExpressions (sorted, as sets.List). */
export const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
/** validVolumeDownwardAPIFieldPathExpressions (sorted). */
export const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

/** The labels ConvertDownwardAPIFieldLabel accepts for a pod. */
const POD_FIELD_LABELS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.restartPolicy',
  'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);

/** fieldpath.SplitMaybeSubscriptedPath: `a.b['c']` → ['a.b', 'c']. */
function splitSubscripted(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

/** ConvertDownwardAPIFieldLabel for a pod: the internal path, or the conversion error. */
function convertFieldLabel(version: string, label: string): { path: string } | { error: string } {
  if (version !== 'v1') return { error: `unsupported pod version: ${version}` };
  const sub = splitSubscripted(label);
  if (sub) return sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels' ? { path: label } : { error: `field label does not support subscript: ${label}` };
  if (label === 'spec.host') return { path: 'spec.nodeName' };
  return POD_FIELD_LABELS.has(label) ? { path: label } : { error: `field label not supported: ${label}` };
}

/** validateObjectFieldSelector at `p` (the fieldRef's path). */
export function validateObjectFieldSelector(fs: ObjectFieldSelector, expressions: readonly string[], p: Path): FieldError[] {
  if (!fs.apiVersion) return [required(p.child('apiVersion'))];
  if (!fs.fieldPath) return [required(p.child('fieldPath'))];
  const converted = convertFieldLabel(fs.apiVersion, fs.fieldPath);
  if ('error' in converted) return [invalid(p.child('fieldPath'), fs.fieldPath, `error converting fieldPath: ${converted.error}`)];
  const sub = splitSubscripted(converted.path);
  if (sub) {
    const [path, subscript] = sub;
    if (path === 'metadata.annotations') return isQualifiedName(subscript.toLowerCase()).map((m) => invalid(p, subscript, m));
    if (path === 'metadata.labels') return isQualifiedName(subscript).map((m) => invalid(p, subscript, m));
    return [invalid(p, path, 'does not support subscript')];
  }
  return expressions.includes(converted.path) ? [] : [notSupported(p.child('fieldPath'), converted.path, expressions)];
}
