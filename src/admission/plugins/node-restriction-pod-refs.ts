/**
 * What a pod references by name, for NodeRestriction's mirror-pod rules (upstream's
 * podutil.VisitPodSecretNames and VisitPodConfigmapNames over all container types).
 */
type Obj = Record<string, any>;

function containers(spec: Obj): Obj[] {
  return ['initContainers', 'containers', 'ephemeralContainers'].flatMap((k) => (Array.isArray(spec[k]) ? spec[k] : [])).filter(Boolean);
}

const named = (ref: Obj | undefined): boolean => !!ref?.name;

export function podReferencesSecrets(pod: Obj): boolean {
  const spec: Obj = pod.spec ?? {};
  if ((spec.imagePullSecrets ?? []).some(named)) return true;
  for (const c of containers(spec)) {
    if ((c.envFrom ?? []).some((e: Obj) => named(e?.secretRef))) return true;
    if ((c.env ?? []).some((e: Obj) => named(e?.valueFrom?.secretKeyRef))) return true;
  }
  for (const v of spec.volumes ?? []) {
    if (!v) continue;
    if (v.secret?.secretName || v.azureFile?.secretName) return true;
    for (const src of ['cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos']) if (named(v[src]?.secretRef)) return true;
    if (named(v.csi?.nodePublishSecretRef)) return true;
    if ((v.projected?.sources ?? []).some((s: Obj) => named(s?.secret))) return true;
  }
  return false;
}

export function podReferencesConfigMaps(pod: Obj): boolean {
  const spec: Obj = pod.spec ?? {};
  for (const c of containers(spec)) {
    if ((c.envFrom ?? []).some((e: Obj) => named(e?.configMapRef))) return true;
    if ((c.env ?? []).some((e: Obj) => named(e?.valueFrom?.configMapKeyRef))) return true;
  }
  for (const v of spec.volumes ?? []) {
    if (named(v?.configMap)) return true;
    if ((v?.projected?.sources ?? []).some((s: Obj) => named(s?.configMap))) return true;
  }
  return false;
}

export function podReferencesClusterTrustBundles(pod: Obj): boolean {
  return (pod.spec?.volumes ?? []).some((v: Obj) => (v?.projected?.sources ?? []).some((s: Obj) => s?.clusterTrustBundle));
}

export function podReferencesPVCs(pod: Obj): boolean {
  return (pod.spec?.volumes ?? []).some((v: Obj) => v?.persistentVolumeClaim);
}
