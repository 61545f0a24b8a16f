/**
 * A container's environment as the kubelet makes it (kubelet_pods.go makeEnvironmentVariables):
 * envFrom sources first, in order (configMapRef / secretRef, with prefix; keys that are not valid
 * variable names skipped), then env in order, later entries replacing earlier ones of the same
 * name. valueFrom: fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef. ConfigMaps and
 * Secrets are read through the API as the node, so the Node authorizer lets this node read only
 * those its own pods reference. A missing required source is a CreateContainerConfigError with
 * upstream's message; $(VAR) expansion is the runtime's.
 *
 * Then the Service environment variables (service-env.ts), after the container's own.
 */
import type { Container, EnvVar, ObjectFieldSelector, Pod, ResourceFieldSelector, Service } from 'kubernetes-types/core/v1.js';
import { serviceEnvFor } from './service-env.ts';
import { ApiStatusError, isNotFound } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { parseQty } from '../../api/quantity.ts';

export class CreateContainerConfigError extends Error {}

export interface EnvSources {
  client: ApiClient;
  /** The node's allocatable, the default of limits.* that a container does not set. */
  allocatable: Readonly<Record<string, string>>;
  /** The Services the node knows, for the Service environment variables. */
  services?: () => readonly Service[];
}

// C identifier rules are upstream's for envFrom keys (IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*).
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

type Kind = 'ConfigMap' | 'Secret';

async function fetchSource(s: EnvSources, cache: Map<string, K8sObject | null>, kind: Kind, namespace: string, name: string, optional: boolean): Promise<Record<string, string> | undefined> {
  const key = `${kind}/${name}`;
  let obj = cache.get(key);
  if (obj === undefined) {
    try {
      obj = await s.client.get<K8sObject>(kind === 'ConfigMap' ? resources.configmaps : resources.secrets, namespace, name);
    } catch (err) {
      if (isNotFound(err) && optional) return undefined;
      // The server's words (`configmaps "x" not found`, or the Node authorizer's refusal), as the kubelet reports them.
      if (err instanceof ApiStatusError && err.code >= 400 && err.code < 500) throw new CreateContainerConfigError(err.message);
      throw err;
    }
    cache.set(key, obj);
  }
  if (obj === null) return undefined;
  if (kind === 'Secret') {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64').toString('utf8');
    return out;
  }
  // binaryData is not offered as environment (upstream only reads data).
  return { ...((obj.data ?? {}) as Record<string, string>) };
}

/** fieldRef paths the kubelet resolves (pod_fieldpath / podFieldSelectorRuntimeValue). */
export function fieldValue(pod: Pod, sel: ObjectFieldSelector, hostIP: string): string {
  const path = sel.fieldPath;
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
    // ConvertDownwardAPIFieldLabel reads the old v1 clients' spec.host as spec.nodeName (the API accepts it).
    case 'spec.host':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIP;
    case 'status.hostIPs':
      return hostIP;
    case 'status.podIP':
      return pod.status?.podIP ?? (pod.spec?.hostNetwork ? hostIP : '');
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',') || (pod.spec?.hostNetwork ? hostIP : '');
  }
  throw new CreateContainerConfigError(`unsupported fieldPath: ${path}`);
}

/** resourceFieldRef: the container's limit or request over the divisor, rounded up (resource.ExtractContainerResourceValue). */
export function resourceValue(pod: Pod, container: Container, sel: ResourceFieldSelector, allocatable: Readonly<Record<string, string>>): string {
  const target = sel.containerName ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === sel.containerName) : container;
  if (!target) throw new CreateContainerConfigError(`container ${sel.containerName} not found`);
  const [kind, res] = sel.resource.split('.', 2) as [string, string];
  if ((kind !== 'limits' && kind !== 'requests') || !res) throw new CreateContainerConfigError(`unsupported container resource : ${sel.resource}`);
  const raw = (kind === 'limits' ? target.resources?.limits?.[res] : target.resources?.requests?.[res]) ?? (kind === 'limits' ? allocatable[res] : undefined) ?? '0';
  const q = parseQty(String(raw));
  const d = parseQty(String(sel.divisor ?? '1'));
  if (!q || !d || d.nanos === 0n) throw new CreateContainerConfigError(`invalid quantity for ${sel.resource}`);
  // ceil(q / d)
  const v = q.nanos / d.nanos + (q.nanos % d.nanos !== 0n && q.nanos > 0n ? 1n : 0n);
  return v.toString();
}

/** The container's environment, in order, every valueFrom resolved. */
export async function containerEnv(s: EnvSources, pod: Pod, container: Container, hostIP: string): Promise<Array<{ name: string; value: string }>> {
  const ns = pod.metadata?.namespace ?? '';
  const cache = new Map<string, K8sObject | null>();
  const out = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.name) continue;
    const kind: Kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const data = await fetchSource(s, cache, kind, ns, ref.name, ref.optional === true);
    for (const [k, v] of Object.entries(data ?? {})) {
      const name = `${from.prefix ?? ''}${k}`;
      if (ENV_NAME.test(name)) out.set(name, v);
    }
  }
  for (const e of container.env ?? []) {
    const v = await envValue(s, cache, pod, container, e, hostIP);
    // An optional reference to something missing leaves the variable out, as upstream.
    if (v !== undefined) out.set(e.name, v);
  }
  // Service variables last, never over one of the container's own.
  for (const e of serviceEnvFor(pod.metadata?.namespace ?? '', pod.spec?.enableServiceLinks !== false, s.services?.() ?? [])) {
    if (!out.has(e.name)) out.set(e.name, e.value);
  }
  return [...out].map(([name, value]) => ({ name, value }));
}

async function envValue(s: EnvSources, cache: Map<string, K8sObject | null>, pod: Pod, container: Container, e: EnvVar, hostIP: string): Promise<string | undefined> {
  const vf = e.valueFrom;
  if (!vf) return e.value ?? '';
  const ns = pod.metadata?.namespace ?? '';
  if (vf.fieldRef) return fieldValue(pod, vf.fieldRef, hostIP);
  if (vf.resourceFieldRef) return resourceValue(pod, container, vf.resourceFieldRef, s.allocatable);
  const keyRef = vf.configMapKeyRef ?? vf.secretKeyRef;
  if (keyRef) {
    const kind: Kind = vf.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const data = await fetchSource(s, cache, kind, ns, keyRef.name ?? '', keyRef.optional === true);
    if (data === undefined) return undefined;
    const v = data[keyRef.key];
    if (v !== undefined) return v;
    if (keyRef.optional) return undefined;
    throw new CreateContainerConfigError(`couldn't find key ${keyRef.key} in ${kind} ${ns}/${keyRef.name}`);
  }
  return '';
}
