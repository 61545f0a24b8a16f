/**
 * The kubelet flags that shape the agent's Node and pods' DNS, parsed and checked as the kubelet
 * does before it starts: --node-labels (component-base's MapStringString, then
 * ValidateKubeletFlags' refusal of kubernetes.io / k8s.io labels outside kubeletapis' allowed set),
 * --register-with-taints (pkg/util/taints taintsVar, then ValidateKubeletConfiguration's
 * CheckTaintValidation), --cluster-dns (a list of IPs; one that is not an IP is skipped with the
 * kubelet's "Invalid clusterDNS IP") and --pod-max-pids (-1 or any value below 1: no limit).
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { isIP } from 'node:net';
import { isQualifiedName, isValidLabelValue } from '../../api/validation/names.ts';
import type { NodeRegistration } from './node-status.ts';
import { isKubeletLabel, isKubernetesLabel, KUBELET_LABEL_NAMESPACES, KUBELET_LABELS } from '../../admission/plugins/node-restriction-labels.ts';

/** pflag's wrapping of a value's Set error. */
const flagError = (name: string, value: string, why: string) => new Error(`invalid argument ${JSON.stringify(value)} for "--${name}" flag: ${why}`);

/**
 * MapStringString.Set, once per occurrence of the flag (later ones add to and override earlier
 * ones): comma-separated key=value pairs, empty items skipped, key and value trimmed.
 */
export function parseNodeLabels(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    for (const s of value.split(',')) {
      if (s.length === 0) continue;
      const eq = s.indexOf('=');
      if (eq < 0) throw flagError('node-labels', value, 'malformed pair, expect string=string');
      out[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
    }
  }
  return out;
}

/**
 * ValidateKubeletFlags' label checks, wrapped as the kubelet reports them ("failed to validate
 * kubelet flags: ..."): labels in the kubernetes.io / k8s.io namespaces outside the kubelet's own
 * set are refused first, then keys that are not qualified names and values that are not label
 * values (keyed, as upstream, by the offending key or value).
 */
export function nodeLabelsError(labels: Readonly<Record<string, string>>): string | undefined {
  const unknown = new Set<string>();
  const invalid = new Map<string, string[]>();
  const add = (k: string, errs: string[]) => errs.length && invalid.set(k, [...(invalid.get(k) ?? []), ...errs]);
  for (const [k, v] of Object.entries(labels)) {
    if (isKubernetesLabel(k) && !isKubeletLabel(k)) unknown.add(k);
    add(k, isQualifiedName(k));
    add(v, isValidLabelValue(v));
  }
  if (unknown.size) {
    return `failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [${[...unknown].sort().join(' ')}]\n`
      + `--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (${[...KUBELET_LABEL_NAMESPACES].sort().join(', ')}) or be in the specifically allowed set (${[...KUBELET_LABELS].sort().join(', ')})`;
  }
  if (invalid.size) return `failed to validate kubelet flags: invalid node labels: ${[...invalid].map(([k, errs]) => `'${k}' - ${errs.join(', ')}`).join('; ')}`;
  return undefined;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** parseTaint: '<key>=<value>:<effect>', '<key>:<effect>' or '<key>'. */
function parseTaint(st: string): Taint {
  const parts = st.split(':');
  let key: string;
  let value = '';
  let effect = '';
  if (parts.length === 1) {
    key = parts[0]!;
  } else if (parts.length === 2) {
    effect = parts[1]!;
    if (!EFFECTS.has(effect)) throw new Error(`invalid taint effect: ${effect}, unsupported taint effect`);
    const kv = parts[0]!.split('=');
    if (kv.length > 2) throw new Error(`invalid taint spec: ${st}`);
    key = kv[0]!;
    if (kv.length === 2) {
      value = kv[1]!;
      const errs = isValidLabelValue(value);
      if (errs.length) throw new Error(`invalid taint spec: ${st}, ${errs.join('; ')}`);
    }
  } else {
    throw new Error(`invalid taint spec: ${st}`);
  }
  const errs = isQualifiedName(key);
  if (errs.length) throw new Error(`invalid taint spec: ${st}, ${errs.join('; ')}`);
  return { key, ...(value ? { value } : {}), effect } as Taint;
}

/** taintsVar.Set, the last occurrence of the flag winning: comma-separated taints, '' for none. */
export function parseRegisterWithTaints(values: readonly string[]): Taint[] {
  const value = values.at(-1) ?? '';
  if (!value) return [];
  try {
    return value.split(',').map(parseTaint);
  } catch (err) {
    throw flagError('register-with-taints', value, (err as Error).message);
  }
}

/** Go's %v of a core.Taint: {key value effect <nil>}. */
const taintString = (t: Taint) => `{${t.key ?? ''} ${t.value ?? ''} ${t.effect ?? ''} <nil>}`;

/**
 * ValidateKubeletConfiguration's registerWithTaints check (CheckTaintValidation: key a qualified
 * name, value a label value, effect one of the three when set; no timeAdded): "invalid taint: {…}".
 * A taint without an effect passes here, as upstream, and is then refused by the API on registration.
 */
export function registerWithTaintsErrors(taints: readonly Taint[]): string[] {
  const out: string[] = [];
  for (const t of taints) {
    const key = t.key ?? '';
    if (isQualifiedName(key).length || (t.value && isValidLabelValue(t.value).length) || (t.effect && !EFFECTS.has(t.effect))) out.push(`invalid taint: ${taintString(t)}`);
    if (t.timeAdded != null) out.push('invalid configuration: taint.TimeAdded is not nil');
  }
  return out;
}

/** --cluster-dns (pflag StringSlice: comma-separated, repeated flags add): addresses that are not IPs are skipped with the kubelet's log line. */
export function clusterDnsList(values: readonly string[], warn: (o: object, m: string) => void): string[] {
  const out: string[] = [];
  for (const ip of values.flatMap((v) => (v === '' ? [] : v.split(',')))) {
    if (isIP(ip)) out.push(ip);
    else warn({ IP: ip }, 'Invalid clusterDNS IP');
  }
  return out;
}

/** --pod-max-pids: the pod's (and each container's) pids limit, undefined for none (-1, the default, or any value below 1, as the kubelet sets it only when positive). */
export function podPidsLimit(value: number): number | undefined {
  return value > 0 ? value : undefined;
}

/** The Node's registration from the agent's options, refused (an Error with upstream's words) where the kubelet would not start. */
export function nodeRegistration(o: { nodeLabels?: Readonly<Record<string, string>>; registerWithTaints?: readonly Taint[] }): NodeRegistration {
  const labelsError = nodeLabelsError(o.nodeLabels ?? {});
  if (labelsError) throw new Error(labelsError);
  const taintErrors = registerWithTaintsErrors(o.registerWithTaints ?? []);
  // The kubelet adds ", path: " and its whole configuration struct printed by Go: left out.
  if (taintErrors.length) throw new Error(`failed to validate kubelet configuration, error: ${aggregate(taintErrors)}`);
  return { labels: o.nodeLabels, taints: o.registerWithTaints };
}

/** utilerrors.NewAggregate's message: one error as is, several as [a, b]. */
const aggregate = (errs: readonly string[]) => (errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
