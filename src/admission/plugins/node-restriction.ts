/**
 * NodeRestriction (plugin/pkg/admission/noderestriction): a kubelet, identified as user
 * `system:node:<name>` in group `system:nodes`, may only write its own Node (not its taints, not
 * protected labels), the status of pods bound to it, mirror pods bound to it that reference no
 * other objects, its own Lease and CSINode, PVC status, and tokens for pods bound to it. Together
 * with the Node authorizer this keeps one compromised node from reaching the rest of the cluster.
 */
import type { Store } from '../../storage/types.ts';
import type { JsonValue } from '../../api/patch/json-value.ts';
import { jsonEqual } from '../../api/json-equal.ts';
import type { UserInfo } from '../../authn/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { forbiddenLabels, modifiedLabels } from './node-restriction-labels.ts';
import { podReferencesClusterTrustBundles, podReferencesConfigMaps, podReferencesPVCs, podReferencesSecrets } from './node-restriction-pod-refs.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODE_PREFIX = 'system:node:';

type Obj = Record<string, any>;
const ALLOW: Verdict = { allowed: true };
const deny = (reason: string): Verdict => ({ allowed: false, reason });
/** A NotFound passed through unwrapped, as upstream returns it. */
const notFound = (resource: string, name: string): Verdict => ({ allowed: false, code: 404, reason: `${resource} "${name}" not found` });

/** upstream's nodeidentifier: the node name, or undefined when the user is not a node. */
export function nodeIdentity(u: UserInfo): string | undefined {
  if (!u.username.startsWith(NODE_PREFIX) || !u.groups.includes('system:nodes')) return undefined;
  return u.username.slice(NODE_PREFIX.length);
}

const is = (a: AdmissionAttributes, group: string, resource: string): boolean => a.resource.group === group && a.resource.resource === resource;

export class NodeRestriction implements ValidatingPlugin {
  readonly name = 'NodeRestriction';
  readonly #store: Store;

  constructor(deps: PluginDeps) {
    this.#store = deps.store;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation !== 'CONNECT' && nodeIdentity(a.user) !== undefined;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const node = nodeIdentity(a.user)!;
    if (node === '') return deny(`could not determine node from user "${a.user.username}"`);
    if (is(a, '', 'pods')) {
      if (a.subresource === '') return this.#pod(node, a);
      if (a.subresource === 'status') return podStatus(node, a);
      if (a.subresource === 'eviction') return this.#eviction(node, a);
      return deny(`unexpected pod subresource "${a.subresource}", only 'status' and 'eviction' are allowed`);
    }
    if (is(a, '', 'nodes')) return nodeObject(node, a);
    if (is(a, '', 'persistentvolumeclaims')) return a.subresource === 'status' ? pvcStatus(node, a) : deny('may only update PVC status');
    if (is(a, '', 'serviceaccounts')) return this.#serviceAccountToken(node, a);
    if (is(a, 'coordination.k8s.io', 'leases')) {
      if (a.namespace !== NODE_LEASE_NAMESPACE) return deny(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
      return nameOf(a) === node ? ALLOW : deny('can only access node lease with the same name as the requesting node');
    }
    if (is(a, 'storage.k8s.io', 'csinodes')) {
      return nameOf(a) === node ? ALLOW : deny('can only access CSINode with the same name as the requesting node');
    }
    return ALLOW;
  }

  async #getPod(namespace: string, name: string): Promise<Obj | undefined> {
    return (await this.#store.get<Obj>(builtinKey('', 'pods', namespace, name)))?.value;
  }

  async #pod(node: string, a: AdmissionAttributes): Promise<Verdict> {
    if (a.operation === 'CREATE') return this.#mirrorPodCreate(node, a.object ?? {});
    if (a.operation === 'DELETE') {
      const existing = await this.#getPod(a.namespace, a.name);
      if (!existing) return notFound('pods', a.name);
      return existing.spec?.nodeName === node ? ALLOW : deny(`node "${node}" can only delete pods with spec.nodeName set to itself`);
    }
    return deny(`unexpected operation "${a.operation}", node "${node}" can only create and delete mirror pods`);
  }

  async #mirrorPodCreate(node: string, pod: Obj): Promise<Verdict> {
    if (!Object.hasOwn(pod.metadata?.annotations ?? {}, MIRROR_POD_ANNOTATION)) {
      return deny(`pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
    }
    if (pod.spec?.nodeName !== node) return deny(`node "${node}" can only create pods with spec.nodeName set to itself`);
    const owners: Obj[] = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) return deny(`node "${node}" can only create pods with a single owner reference set to itself`);
    if (owners.length === 0) return deny(`node "${node}" can only create pods with an owner reference set to itself`);
    const owner = owners[0]!;
    if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) return deny(`node "${node}" can only create pods with an owner reference set to itself`);
    if (owner.controller !== true) return deny(`node "${node}" can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true) return deny(`node "${node}" must not set blockOwnerDeletion on an owner reference`);
    const nodeObj = (await this.#store.get<Obj>(builtinKey('', 'nodes', node)))?.value;
    if (!nodeObj) return notFound('nodes', node);
    const uid = nodeObj.metadata?.uid ?? '';
    if ((owner.uid ?? '') !== uid) return deny(`node ${node} UID mismatch: expected ${owner.uid ?? ''} got ${uid}`);
    // A mirror pod must not let the node read objects it could not otherwise reach.
    if (pod.spec?.serviceAccountName) return deny(`node "${node}" can not create pods that reference a service account`);
    if (podReferencesSecrets(pod)) return deny(`node "${node}" can not create pods that reference secrets`);
    if (podReferencesConfigMaps(pod)) return deny(`node "${node}" can not create pods that reference configmaps`);
    if (podReferencesClusterTrustBundles(pod)) return deny(`node "${node}" can not create pods that reference clustertrustbundles`);
    if (podReferencesPVCs(pod)) return deny(`node "${node}" can not create pods that reference persistentvolumeclaims`);
    return ALLOW;
  }

  async #eviction(node: string, a: AdmissionAttributes): Promise<Verdict> {
    if (a.operation !== 'CREATE') return deny(`unexpected operation ${a.operation}`);
    const podName = a.name || String(a.object?.metadata?.name ?? '');
    if (!podName) return deny('could not determine pod from request data');
    const existing = await this.#getPod(a.namespace, podName);
    if (!existing) return notFound('pods', podName);
    return existing.spec?.nodeName === node ? ALLOW : deny(`node ${node} can only evict pods with spec.nodeName set to itself`);
  }

  async #serviceAccountToken(node: string, a: AdmissionAttributes): Promise<Verdict> {
    if (a.operation !== 'CREATE' || a.subresource !== 'token') return ALLOW;
    const ref: Obj | undefined = a.object?.spec?.boundObjectRef;
    if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) return deny('node requested token not bound to a pod');
    if (!ref.uid) return deny('node requested token with a pod binding without a uid');
    const pod = await this.#getPod(a.namespace, ref.name);
    if (!pod) return notFound('pods', ref.name);
    if (ref.uid !== pod.metadata?.uid) {
      return deny(`the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    return pod.spec?.nodeName === node ? ALLOW : deny('node requested token bound to a pod scheduled on a different node');
  }
}

/** On create the name comes from the object; upstream reads it there too. */
function nameOf(a: AdmissionAttributes): string {
  return a.operation === 'CREATE' ? String(a.object?.metadata?.name ?? '') : a.name;
}

function podStatus(node: string, a: AdmissionAttributes): Verdict {
  if (a.operation !== 'UPDATE') return deny(`unexpected operation "${a.operation}"`);
  const old = a.oldObject ?? {};
  const pod = a.object ?? {};
  if (old.spec?.nodeName !== node) return deny(`node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
  if (modifiedLabels(old.metadata?.labels, pod.metadata?.labels).size > 0) return deny(`node "${node}" cannot update labels through pod status`);
  const claims = (p: Obj) => ((p.status?.resourceClaimStatuses ?? []) as Obj[]).map((s) => ({ name: s.name, claim: s.resourceClaimName ?? null }));
  if (!jsonEqual(claims(old) as JsonValue, claims(pod) as JsonValue)) return deny(`node "${node}" cannot update resource claim statues`);
  return ALLOW;
}

function nodeObject(node: string, a: AdmissionAttributes): Verdict {
  const requested = a.name;
  if (requested !== node) return deny(`node "${node}" is not allowed to modify node "${requested}"`);
  const obj = a.object ?? {};
  if (a.operation === 'CREATE') {
    // A node may not point itself at a config source: node access is scoped by what Node.spec lists.
    if (obj.spec?.configSource != null) return deny(`node "${node}" is not allowed to create pods with a non-nil configSource`);
    const forbidden = forbiddenLabels(modifiedLabels(obj.metadata?.labels, undefined));
    if (forbidden.length > 0) return deny(`node "${node}" is not allowed to set the following labels: ${forbidden.join(', ')}`);
  }
  if (a.operation === 'UPDATE') {
    const old = a.oldObject ?? {};
    if (obj.spec?.configSource != null && !jsonEqual(obj.spec.configSource, old.spec?.configSource)) {
      return deny(`node "${node}" is not allowed to update configSource to a new non-nil configSource`);
    }
    // Removing its own taints would let a node attract workloads meant to stay away from it.
    if (!jsonEqual(emptyToUndefined(obj.spec?.taints), emptyToUndefined(old.spec?.taints))) return deny(`node "${node}" is not allowed to modify taints`);
    const forbidden = forbiddenLabels(modifiedLabels(obj.metadata?.labels, old.metadata?.labels));
    if (forbidden.length > 0) return deny(`is not allowed to modify labels: ${forbidden.join(', ')}`);
  }
  return ALLOW;
}

/** Go's semantic equality treats a nil and an empty slice alike. */
function emptyToUndefined(v: unknown): JsonValue | undefined {
  return Array.isArray(v) && v.length === 0 ? undefined : (v as JsonValue | undefined);
}

function pvcStatus(node: string, a: AdmissionAttributes): Verdict {
  if (a.operation !== 'UPDATE') return deny(`unexpected operation "${a.operation}"`);
  const strip = (p: Obj | undefined): JsonValue => {
    const c = structuredClone(p ?? {});
    if (c.metadata) {
      delete c.metadata.resourceVersion;
      delete c.metadata.managedFields;
    }
    if (c.status) {
      for (const k of ['capacity', 'conditions', 'allocatedResourceStatuses', 'allocatedResources']) delete c.status[k];
      if (Object.keys(c.status).length === 0) delete c.status;
    }
    return c as JsonValue;
  };
  const before = strip(a.oldObject);
  const after = strip(a.object);
  if (jsonEqual(before, after)) return ALLOW;
  const changed = changedTopLevel(before as Obj, after as Obj);
  return deny(`node "${node}" is not allowed to update fields other than status.capacity and status.conditions: changed ${changed.join(', ')}`);
}

function changedTopLevel(x: Obj, y: Obj): string[] {
  const out: string[] = [];
  for (const top of new Set([...Object.keys(x), ...Object.keys(y)])) {
    const a = x[top];
    const b = y[top];
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!jsonEqual(a[k], b[k])) out.push(`${top}.${k}`);
    } else if (!jsonEqual(a, b)) out.push(top);
  }
  return out.sort();
}
