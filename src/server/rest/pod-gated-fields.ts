/**
 * Upstream's dropDisabledFields (pkg/api/pod/util.go) at 1.33's default feature gates: pod spec
 * fields of gates that are off are dropped from a write unless the stored object already uses
 * them. Pods (DropDisabledPodFields, on create and on every update, subresources included) and
 * every pod template (DropDisabledTemplateFields: PodTemplate, ReplicationController, apps/v1,
 * Job, CronJob) get the same treatment. The gates off in 1.33 (pkg/features/kube_features.go):
 * - DynamicResourceAllocation (beta, off): spec.resourceClaims and every container's (init,
 *   ephemeral too) resources.claims, kept only when the stored spec has resourceClaims;
 * - PodLevelResources (alpha): spec.resources, kept when the stored spec has requests or limits;
 * - ImageVolume (beta, off): image volumes and the containers' mounts of them;
 * - ClusterTrustBundleProjection (beta, off): projected sources' clusterTrustBundle (the source
 *   entry itself stays, empty);
 * - ContainerStopSignals (alpha): lifecycle.stopSignal, and a lifecycle left empty.
 * Gated fields whose gate is on in 1.33 are kept: hostUsers (UserNamespacesSupport),
 * supplementalGroupsPolicy, procMount, seLinuxChangePolicy, resizePolicy, restartPolicy of init
 * containers, recursiveReadOnly, sleep actions, topology spread matchLabelKeys/node*Policy, pod
 * affinity matchLabelKeys. Status fields are dropped by pod-status-strategy.ts.
 *
 * The object written is never mutated in place (a patched object may share parts with the
 * stored one): a spec with something to drop is copied first.
 */
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { K8sObject } from './objects.ts';

type Obj = Record<string, any>;

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

function containers(spec: Obj | undefined): Obj[] {
  if (!spec) return [];
  const out: Obj[] = [];
  for (const f of CONTAINER_LISTS) {
    const list = spec[f];
    if (Array.isArray(list)) for (const c of list) if (c && typeof c === 'object') out.push(c);
  }
  return out;
}

function volumes(spec: Obj | undefined): Obj[] {
  return Array.isArray(spec?.volumes) ? spec.volumes.filter((v: unknown) => v && typeof v === 'object') : [];
}

const set = (v: unknown): boolean => v !== undefined && v !== null;
const nonEmptyList = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
const nonEmptyMap = (v: unknown): boolean => !!v && typeof v === 'object' && Object.keys(v).length > 0;

function projectedSources(spec: Obj | undefined): Obj[] {
  const out: Obj[] = [];
  for (const v of volumes(spec)) {
    const sources = v.projected?.sources;
    if (Array.isArray(sources)) for (const s of sources) if (s && typeof s === 'object') out.push(s);
  }
  return out;
}

interface Rule {
  /** The write carries the field (so there may be something to drop). */
  present(spec: Obj): boolean;
  /** The stored spec uses the feature, so the write keeps it. */
  inUse(old: Obj | undefined): boolean;
  drop(spec: Obj): void;
}

const dynamicResourceAllocation: Rule = {
  present: (s) => set(s.resourceClaims) || containers(s).some((c) => set(c.resources?.claims)),
  // dynamicResourceAllocationInUse: containers cannot claim without a pod-level entry.
  inUse: (old) => nonEmptyList(old?.resourceClaims),
  drop(s) {
    for (const c of containers(s)) if (c.resources && typeof c.resources === 'object') delete c.resources.claims;
    delete s.resourceClaims;
  },
};

const podLevelResources: Rule = {
  present: (s) => set(s.resources),
  inUse: (old) => nonEmptyMap(old?.resources?.requests) || nonEmptyMap(old?.resources?.limits),
  drop(s) {
    delete s.resources;
  },
};

const imageVolumes: Rule = {
  present: (s) => volumes(s).some((v) => set(v.image)),
  inUse: (old) => volumes(old).some((v) => set(v.image)),
  drop(s) {
    const names = new Set(volumes(s).filter((v) => set(v.image)).map((v) => v.name));
    const kept = (s.volumes as unknown[]).filter((v) => !(v && typeof v === 'object' && set((v as Obj).image)));
    if (kept.length > 0) s.volumes = kept;
    else delete s.volumes;
    for (const c of containers(s)) {
      if (!Array.isArray(c.volumeMounts)) continue;
      const mounts = c.volumeMounts.filter((m: Obj) => !names.has(m?.name));
      if (mounts.length > 0) c.volumeMounts = mounts;
      else delete c.volumeMounts;
    }
  },
};

const clusterTrustBundleProjection: Rule = {
  present: (s) => projectedSources(s).some((p) => set(p.clusterTrustBundle)),
  inUse: (old) => projectedSources(old).some((p) => set(p.clusterTrustBundle)),
  drop(s) {
    for (const p of projectedSources(s)) delete p.clusterTrustBundle;
  },
};

const containerStopSignals: Rule = {
  present: (s) => containers(s).some((c) => set(c.lifecycle?.stopSignal)),
  inUse: (old) => containers(old).some((c) => set(c.lifecycle?.stopSignal)),
  drop(s) {
    for (const c of containers(s)) {
      const l = c.lifecycle;
      if (!l || typeof l !== 'object' || !('stopSignal' in l)) continue;
      delete l.stopSignal;
      if (!set(l.postStart) && !set(l.preStop)) delete c.lifecycle;
    }
  },
};

const RULES: readonly Rule[] = [podLevelResources, dynamicResourceAllocation, clusterTrustBundleProjection, imageVolumes, containerStopSignals];

/** Whether the spec carries any field of the rules: one walk, nothing allocated (every pod and template write asks). */
function anyGatedField(s: Obj): boolean {
  if (set(s.resourceClaims) || set(s.resources)) return true;
  for (const f of CONTAINER_LISTS) {
    const list = s[f];
    if (!Array.isArray(list)) continue;
    for (const c of list) if (set(c?.resources?.claims) || set(c?.lifecycle?.stopSignal)) return true;
  }
  if (!Array.isArray(s.volumes)) return false;
  for (const v of s.volumes) {
    if (set(v?.image)) return true;
    const sources = v?.projected?.sources;
    if (Array.isArray(sources)) for (const p of sources) if (set(p?.clusterTrustBundle)) return true;
  }
  return false;
}

/** The pod spec without the fields of 1.33's disabled gates not in use by oldSpec; spec itself when nothing is dropped. */
export function dropDisabledPodSpecFields<T>(spec: T, oldSpec: Obj | undefined): T {
  if (!spec || typeof spec !== 'object' || !anyGatedField(spec as Obj)) return spec;
  const drops = RULES.filter((r) => r.present(spec as Obj) && !r.inUse(oldSpec));
  if (drops.length === 0) return spec;
  const out = structuredClone(spec) as Obj;
  for (const r of drops) r.drop(out);
  return out as T;
}

/** Where each kind keeps its pod spec: the path of the object holding `spec`. */
const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  'core/PodTemplate': ['template'],
  'core/ReplicationController': ['spec', 'template'],
  'apps/Deployment': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  'apps/StatefulSet': ['spec', 'template'],
  'apps/DaemonSet': ['spec', 'template'],
  'batch/Job': ['spec', 'template'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
};

function holderPath(def: ResourceDef): readonly string[] | undefined {
  if (def.custom) return undefined;
  if (def.group === '' && def.kind === 'Pod') return [];
  return TEMPLATE_PATHS[`${def.group === '' ? 'core' : def.group}/${def.kind}`];
}

function at(o: unknown, path: readonly string[]): Obj | undefined {
  let cur: unknown = o;
  for (const k of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[k];
  }
  return cur && typeof cur === 'object' ? (cur as Obj) : undefined;
}

/**
 * Drops the disabled gates' fields from a Pod's spec or a template-bearing kind's template spec
 * (old: the stored object on update). obj's own top-level field is replaced by a copy along the
 * path to the changed spec; nothing below it that the write may share is changed.
 */
export function dropDisabledPodFields(def: ResourceDef, obj: K8sObject, old: K8sObject | undefined): void {
  const path = holderPath(def);
  if (!path) return;
  const holder = at(obj, path);
  if (!holder) return;
  const spec = holder.spec;
  const next = dropDisabledPodSpecFields(spec, at(old, path)?.spec);
  if (next === spec) return;
  let cur = obj as Obj;
  for (const k of path) {
    cur[k] = { ...cur[k] };
    cur = cur[k];
  }
  cur.spec = next;
}
