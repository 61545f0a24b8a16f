/**
 * What a pod or a persistent volume grants its node, as upstream walks it
 * (pkg/api/v1/pod VisitPodSecretNames / VisitPodConfigmapNames, pkg/api/v1/persistentvolume
 * VisitPVSecretNames, and the PVC names in graph.go AddPod).
 */
import type { Container, EnvFromSource, EnvVar, PersistentVolume, Pod, Volume } from 'kubernetes-types/core/v1.js';

export interface PodReferences {
  secrets: Set<string>;
  configMaps: Set<string>;
  pvcs: Set<string>;
  /** '' when the pod names none. */
  serviceAccount: string;
}

/** `podName` names a generic ephemeral volume's claim (the key's name, for a stored pod). */
export function podReferences(pod: Pod, podName = pod.metadata?.name ?? ''): PodReferences {
  const spec = pod.spec;
  const refs: PodReferences = { secrets: new Set(), configMaps: new Set(), pvcs: new Set(), serviceAccount: spec?.serviceAccountName ?? '' };
  if (!spec) return refs;
  for (const s of spec.imagePullSecrets ?? []) addName(refs.secrets, s.name);
  for (const list of [spec.initContainers, spec.containers, spec.ephemeralContainers] as Array<Pick<Container, 'env' | 'envFrom'>[] | undefined>) {
    for (const c of list ?? []) {
      visitEnvFrom(c.envFrom, refs);
      visitEnv(c.env, refs);
    }
  }
  for (const v of spec.volumes ?? []) visitVolume(podName, v, refs);
  return refs;
}

function visitEnvFrom(envFrom: EnvFromSource[] | undefined, refs: PodReferences): void {
  for (const e of envFrom ?? []) {
    addName(refs.secrets, e.secretRef?.name);
    addName(refs.configMaps, e.configMapRef?.name);
  }
}

function visitEnv(env: EnvVar[] | undefined, refs: PodReferences): void {
  for (const e of env ?? []) {
    addName(refs.secrets, e.valueFrom?.secretKeyRef?.name);
    addName(refs.configMaps, e.valueFrom?.configMapKeyRef?.name);
  }
}

function visitVolume(podName: string, v: Volume, refs: PodReferences): void {
  addName(refs.secrets, v.secret?.secretName);
  addName(refs.secrets, v.azureFile?.secretName);
  for (const ref of [v.cephfs?.secretRef, v.cinder?.secretRef, v.flexVolume?.secretRef, v.rbd?.secretRef, v.scaleIO?.secretRef, v.iscsi?.secretRef, v.storageos?.secretRef, v.csi?.nodePublishSecretRef]) {
    addName(refs.secrets, ref?.name);
  }
  addName(refs.configMaps, v.configMap?.name);
  for (const src of v.projected?.sources ?? []) {
    addName(refs.secrets, src.secret?.name);
    addName(refs.configMaps, src.configMap?.name);
  }
  addName(refs.pvcs, v.persistentVolumeClaim?.claimName);
  // A generic ephemeral volume's claim is named after the pod and the volume.
  if (v.ephemeral && podName) refs.pvcs.add(`${podName}-${v.name}`);
}

export interface SecretRef {
  namespace: string;
  name: string;
}

export interface PvReferences {
  /** The bound claim (spec.claimRef), if any. */
  claim?: SecretRef;
  /** Secrets the kubelet reads to mount the volume (not the controller-only ones). */
  secrets: SecretRef[];
}

export function pvReferences(pv: PersistentVolume): PvReferences {
  const spec = pv.spec;
  const claimRef = spec?.claimRef;
  const claimNs = claimRef?.namespace ?? '';
  const refs: PvReferences = { secrets: [] };
  if (claimRef?.name) refs.claim = { namespace: claimNs, name: claimRef.name };
  if (!spec) return refs;
  const push = (namespace: string | undefined, name: string | undefined) => {
    if (name) refs.secrets.push({ namespace: namespace || claimNs, name });
  };
  // azureFile's secret lives in secretNamespace, defaulting to the claim's namespace.
  push(spec.azureFile?.secretNamespace, spec.azureFile?.secretName);
  for (const ref of [spec.cephfs?.secretRef, spec.cinder?.secretRef, spec.flexVolume?.secretRef, spec.rbd?.secretRef, spec.scaleIO?.secretRef, spec.iscsi?.secretRef, spec.storageos?.secretRef]) {
    push(ref?.namespace, ref?.name);
  }
  const csi = spec.csi;
  // controllerPublish/controllerExpand secrets are for the controller, never the kubelet.
  for (const ref of [csi?.nodePublishSecretRef, csi?.nodeStageSecretRef, csi?.nodeExpandSecretRef]) push(ref?.namespace, ref?.name);
  return refs;
}

function addName(set: Set<string>, name: string | undefined): void {
  if (name) set.add(name);
}
