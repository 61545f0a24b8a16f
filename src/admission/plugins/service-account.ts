import type { Store } from '../../storage/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const VOLUME_PREFIX = 'kube-api-access-';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const ENFORCE_MOUNTABLE_SECRETS = 'kubernetes.io/enforce-mountable-secrets';
/** The bound token's lifetime: an hour plus seven seconds, which marks tokens for the warn-only extension. */
const TOKEN_EXPIRATION_SECONDS = 3607;
/** Characters of generated names, as upstream (no vowels, no look-alikes). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
/** Attempts to find the default service account, which its controller may not have created yet. */
const DEFAULT_LOOKUP_ATTEMPTS = 10;

export interface ServiceAccountOptions {
  /** Pause between lookups of a missing `default` account (upstream: 100-200ms). */
  retryDelayMs?: () => number;
}

/** The projected volume every pod gets for its account's token (upstream's TokenVolumeSource). */
export function tokenVolumeSource(): Obj {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

/**
 * ServiceAccount: a new pod runs as `default` unless it names an account; the account must exist;
 * its token, the cluster CA and the namespace are mounted into every container unless the pod or
 * the account opts out; the account's image pull secrets are copied to a pod that has none.
 * Mirror pods (from a node's static manifests) may reference no account and no secret at all.
 * Register the one instance in both chains.
 */
export class ServiceAccount implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'ServiceAccount';
  readonly #store: Store;
  readonly #random: () => number;
  readonly #retryDelayMs: () => number;

  constructor(deps: PluginDeps, opts: ServiceAccountOptions = {}) {
    this.#store = deps.store;
    this.#random = deps.random;
    this.#retryDelayMs = opts.retryDelayMs ?? (() => 100 + Math.floor(deps.random() * 100));
  }

  /** Pod creates, and (validation only) writes of pods/ephemeralcontainers, as upstream's shouldIgnore. */
  handles(a: AdmissionAttributes): boolean {
    if (a.resource.group !== '' || a.resource.resource !== 'pods' || !a.object) return false;
    return (a.operation === 'CREATE' && a.subresource === '') || (a.operation === 'UPDATE' && a.subresource === 'ephemeralcontainers');
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    // Only creates are mutated.
    if (a.operation !== 'CREATE') return { allowed: true };
    const pod = a.object as Obj;
    // The kubelet deletes a mirror pod whose spec differs from its manifest: never change one.
    if (isMirrorPod(pod)) return this.validate(a);
    pod.spec ??= {};
    if (!pod.spec.serviceAccountName) pod.spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
    const sa = await this.#lookup(a.namespace, pod.spec.serviceAccountName);
    if (!sa) return notFound(a.namespace, pod.spec.serviceAccountName);
    if (shouldAutomount(sa, pod)) this.#mountToken(pod);
    if (!(pod.spec.imagePullSecrets?.length > 0) && sa.imagePullSecrets?.length > 0) {
      pod.spec.imagePullSecrets = sa.imagePullSecrets.map((s: Obj) => ({ name: s?.name }));
    }
    return this.validate(a);
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const pod = a.object as Obj;
    if (a.operation === 'UPDATE') return this.#validateEphemeral(a, pod);
    if (isMirrorPod(pod)) return validateMirrorPod(pod);
    const name = pod.spec?.serviceAccountName ?? '';
    const sa = await this.#lookup(a.namespace, name);
    if (!sa) return notFound(a.namespace, name);
    if (enforceMountableSecrets(sa)) {
      const err = limitSecretReferences(sa, pod);
      if (err) return { allowed: false, code: 403, reason: err };
    }
    return { allowed: true };
  }

  /**
   * limitEphemeralContainerSecretReferences: the pod must name an account that exists; under
   * enforce-mountable-secrets its ephemeral containers' env and envFrom may use only the account's
   * secrets. Upstream returns that refusal as a plain error, which the API server answers with 500.
   */
  async #validateEphemeral(a: AdmissionAttributes, pod: Obj): Promise<Verdict> {
    const name = pod.spec?.serviceAccountName ?? '';
    if (!name) return { allowed: false, code: 403, reason: `no service account specified for pod ${a.namespace}/${pod.metadata?.name ?? a.name}` };
    const sa = await this.#lookup(a.namespace, name);
    if (!sa) return notFound(a.namespace, name);
    if (!enforceMountableSecrets(sa)) return { allowed: true };
    const err = containerSecretRefs(mountableSecrets(sa), sa, [[pod.spec?.ephemeralContainers, 'ephemeral container']]);
    return err ? { allowed: false, code: 500, reason: err } : { allowed: true };
  }

  async #lookup(namespace: string, name: string): Promise<Obj | undefined> {
    const attempts = name === DEFAULT_SERVICE_ACCOUNT ? DEFAULT_LOOKUP_ATTEMPTS : 1;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, this.#retryDelayMs()));
      const s = await this.#store.get<Obj>(builtinKey('', 'serviceaccounts', namespace, name));
      if (s) return s.value;
    }
    return undefined;
  }

  #mountToken(pod: Obj): void {
    const spec = pod.spec;
    const existing = (spec.volumes ?? []).find((v: Obj) => String(v?.name ?? '').startsWith(VOLUME_PREFIX));
    let volumeName: string = existing?.name;
    if (!volumeName) {
      volumeName = VOLUME_PREFIX;
      for (let i = 0; i < 5; i++) volumeName += ALPHANUMS[Math.floor(this.#random() * ALPHANUMS.length)];
    }
    let needsVolume = false;
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      // A container that mounts something at the token path keeps its own.
      if ((c.volumeMounts ?? []).some((m: Obj) => m?.mountPath === TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...(c.volumeMounts ?? []), { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
      needsVolume = true;
    }
    if (!existing && needsVolume) spec.volumes = [...(spec.volumes ?? []), { name: volumeName, projected: tokenVolumeSource() }];
  }
}

function isMirrorPod(pod: Obj): boolean {
  return pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

function notFound(namespace: string, name: string): Verdict {
  return { allowed: false, code: 403, reason: `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found` };
}

/** The pod's own setting wins, then the account's; mounting is the default. */
function shouldAutomount(sa: Obj, pod: Obj): boolean {
  if (typeof pod.spec?.automountServiceAccountToken === 'boolean') return pod.spec.automountServiceAccountToken;
  if (typeof sa.automountServiceAccountToken === 'boolean') return sa.automountServiceAccountToken;
  return true;
}

function validateMirrorPod(pod: Obj): Verdict {
  if (pod.spec?.serviceAccountName) return { allowed: false, code: 403, reason: 'a mirror pod may not reference service accounts' };
  if (podSecretNames(pod.spec).length > 0) return { allowed: false, code: 403, reason: 'a mirror pod may not reference secrets' };
  for (const v of pod.spec?.volumes ?? []) {
    if ((v?.projected?.sources ?? []).some((s: Obj) => s?.serviceAccountToken)) {
      return { allowed: false, code: 403, reason: 'a mirror pod may not use ServiceAccountToken volume projections' };
    }
  }
  return { allowed: true };
}

/** strconv.ParseBool's true values. */
function enforceMountableSecrets(sa: Obj): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS]);
}

/** With enforce-mountable-secrets, a pod may use only the secrets its account lists. */
function limitSecretReferences(sa: Obj, pod: Obj): string | undefined {
  const mountable = mountableSecrets(sa);
  for (const v of pod.spec?.volumes ?? []) {
    const name = v?.secret?.secretName;
    if (v?.secret && !mountable.has(name)) return `volume with secret.secretName="${name}" is not allowed because service account ${sa.metadata?.name} does not reference that secret`;
  }
  const err = containerSecretRefs(mountable, sa, [[pod.spec?.initContainers, 'init container'], [pod.spec?.containers, 'container']]);
  if (err) return err;
  const pull = new Set<string>((sa.imagePullSecrets ?? []).map((s: Obj) => s?.name));
  const refs: Obj[] = pod.spec?.imagePullSecrets ?? [];
  for (let i = 0; i < refs.length; i++) {
    if (!pull.has(refs[i]?.name)) return `imagePullSecrets[${i}].name="${refs[i]?.name}" is not allowed because service account ${sa.metadata?.name} does not reference that imagePullSecret`;
  }
  return undefined;
}

/** Volume sources that name a secret, and where (upstream's VisitPodSecretNames). */
const VOLUME_SECRET_REFS: [string, string[]][] = [
  ['azureFile', ['secretName']],
  ['cephfs', ['secretRef', 'name']],
  ['cinder', ['secretRef', 'name']],
  ['flexVolume', ['secretRef', 'name']],
  ['rbd', ['secretRef', 'name']],
  ['scaleIO', ['secretRef', 'name']],
  ['iscsi', ['secretRef', 'name']],
  ['storageos', ['secretRef', 'name']],
  ['csi', ['nodePublishSecretRef', 'name']],
];

/** Every secret a pod spec references: pull secrets, volumes, env and envFrom of all containers. */
function podSecretNames(spec: Obj | undefined): string[] {
  const out: string[] = [];
  const add = (n: unknown) => typeof n === 'string' && n && out.push(n);
  for (const r of spec?.imagePullSecrets ?? []) add(r?.name);
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])]) {
    for (const e of c?.envFrom ?? []) add(e?.secretRef?.name);
    for (const e of c?.env ?? []) add(e?.valueFrom?.secretKeyRef?.name);
  }
  for (const v of spec?.volumes ?? []) {
    add(v?.secret?.secretName);
    for (const s of v?.projected?.sources ?? []) add(s?.secret?.name);
    for (const [field, path] of VOLUME_SECRET_REFS) {
      let x: any = v?.[field];
      for (const p of path) x = x?.[p];
      add(x);
    }
  }
  return out;
}

function mountableSecrets(sa: Obj): Set<string> {
  return new Set<string>((sa.secrets ?? []).map((s: Obj) => s?.name));
}

/** The first env secretKeyRef or envFrom secretRef, container by container, naming a secret the account does not list. */
function containerSecretRefs(mountable: Set<string>, sa: Obj, lists: [Obj[] | undefined, string][]): string | undefined {
  const tail = `is not allowed because service account ${sa.metadata?.name} does not reference that secret`;
  for (const [list, what] of lists) {
    for (const c of list ?? []) {
      for (const e of c?.env ?? []) {
        const ref = e?.valueFrom?.secretKeyRef;
        if (ref && !mountable.has(ref.name)) return `${what} ${c.name} with envVar ${e.name} referencing secret.secretName="${ref.name}" ${tail}`;
      }
      for (const e of c?.envFrom ?? []) {
        const ref = e?.secretRef;
        if (ref && !mountable.has(ref.name)) return `${what} ${c.name} with envFrom referencing secret.secretName="${ref.name}" ${tail}`;
      }
    }
  }
  return undefined;
}
