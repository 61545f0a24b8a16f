/**
 * Setting up one volume of a pod on the host (the volume plugins' SetUpAt), under the kubelet's
 * layout <pods root>/<uid>/volumes/<plugin>/<name>: emptyDir (disk, or tmpfs for medium Memory
 * sized by sizeLimit), hostPath (type checked, used in place), configMap (disk), secret,
 * downwardAPI and projected (tmpfs, as upstream, so secrets never reach the disk) written by the
 * atomic writer, persistentVolumeClaim / ephemeral on local and hostPath PVs (used in place; the
 * local-path provisioner's directory made here). Idempotent: run on every pod sync, which is how
 * updates reach the files. Anything else is refused with a message, never silently skipped.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { parseQty, qtyValue } from '../../../api/quantity.ts';
import { resources } from '../../client/resources.ts';
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { ANN_DYNAMICALLY_PROVISIONED, volumeFitsNode } from '../../controllers/volume/volume-util.ts';
import { LOCAL_PATH_PROVISIONER } from '../../controllers/volume/local-path.ts';
import { writeAtomically, type Payload } from './atomic-writer.ts';
import { checkHostPathType } from './host-path.ts';
import { isMounted, mountTmpfs } from './mounts.ts';
import { recordLocalPath } from './local-path-records.ts';
import type { ObjectCache } from './object-cache.ts';
import { fsUserFrom, setVolumeOwnership } from './ownership.ts';
import { newAggregate } from '../../../util/aggregate-error.ts';
import { configMapData, configMapMissingKey, DEFAULT_MODE, downwardPayload, keyPayload, projectedPayload, secretData, secretMissingKey, VolumeSourceError, type DownwardContext } from './payload.ts';
import type { TokenManager } from './token-manager.ts';

/** Where a volume is on the host, and whether containers may only read it. */
export interface SetUpVolume {
  path: string;
  readOnly: boolean;
  /** A volume from a PersistentVolumeClaim: the claim and the kind of volume bound to it (for /stats/summary). */
  claim?: { name: string; source: 'local' | 'hostPath' };
}

export interface SetUpDeps extends DownwardContext {
  client: ApiClient;
  objects: ObjectCache;
  tokens: TokenManager;
  /** This node's Node object, for a persistent volume's node affinity (absent: not checked). */
  node?: () => K8sObject | undefined;
  now?: () => Date;
  /** The agent's data directory, where the local-path volumes it makes are recorded (local-path-records.ts). */
  dataDir?: string;
}

/** The plugin directory of each volume type under <pod>/volumes (the kubelet's layout). */
export const PLUGIN = {
  emptyDir: 'kubernetes.io~empty-dir', configMap: 'kubernetes.io~configmap', secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api', projected: 'kubernetes.io~projected',
} as const;

const bytes = (q: string | undefined): number | undefined => {
  const v = q === undefined ? undefined : parseQty(String(q));
  return v && v.nanos > 0n ? Number(qtyValue(v)) : undefined;
};

/**
 * A Memory emptyDir's size as calculateEmptyDirMemorySize: the node's allocatable memory, else the
 * pod's memory limit (every container has one) when smaller, else sizeLimit when smaller still.
 */
function memorySize(pod: Pod, v: Volume, allocatable: Readonly<Record<string, string>>): number | undefined {
  let size = bytes(allocatable.memory);
  const cs = pod.spec?.containers ?? [];
  const podLimit = cs.length > 0 && cs.every((c) => c.resources?.limits?.memory) ? cs.reduce((n, c) => n + (bytes(String(c.resources!.limits!.memory)) ?? 0), 0) : undefined;
  if (podLimit && (size === undefined || podLimit <= size)) size = podLimit;
  const limit = bytes(v.emptyDir?.sizeLimit as string | undefined);
  if (limit && (size === undefined || limit <= size)) size = limit;
  return size;
}

async function volumeDir(podDir: string, plugin: string, name: string, mode = 0o750): Promise<string> {
  const dir = join(podDir, 'volumes', plugin, name);
  await mkdir(dir, { recursive: true, mode });
  return dir;
}

export async function setUpVolume(d: SetUpDeps, pod: Pod, podDir: string, v: Volume): Promise<SetUpVolume> {
  const ns = pod.metadata?.namespace ?? '';
  const fsGroup = pod.spec?.securityContext?.fsGroup ?? undefined;
  const write = async (dir: string, payload: Payload) => {
    await writeAtomically(dir, payload, { now: d.now, setPerms: (ts) => setVolumeOwnership(ts, fsGroup, true) });
    await setVolumeOwnership(dir, fsGroup, true);
  };
  if (v.emptyDir) {
    const dir = await volumeDir(podDir, PLUGIN.emptyDir, v.name);
    if (v.emptyDir.medium && v.emptyDir.medium !== '' && v.emptyDir.medium !== 'Memory') throw new VolumeSourceError(`emptyDir medium ${JSON.stringify(v.emptyDir.medium)} is not supported by this node agent`);
    // Set up once, as upstream's emptyDir SetUpAt (its ready file in the pod's plugins directory,
    // outside the volume): the permissions and fsGroup walk must never run again over what a
    // running container wrote there, where a file swapped for a symlink mid-walk would have its
    // target chmodded or walked into (the walk is by path).
    const ready = join(podDir, 'plugins', PLUGIN.emptyDir, v.name, 'ready');
    const memory = v.emptyDir.medium === 'Memory';
    if (existsSync(ready) && (!memory || (await isMounted(dir)))) return { path: dir, readOnly: false };
    if (memory) await mountTmpfs(dir, memorySize(pod, v, d.allocatable));
    // World-writable as upstream, whatever the umask: any container user may use it.
    await chmod(dir, 0o777);
    await setVolumeOwnership(dir, fsGroup, false);
    await mkdir(dirname(ready), { recursive: true, mode: 0o750 });
    await writeFile(ready, '', { mode: 0o600 });
    return { path: dir, readOnly: false };
  }
  if (v.hostPath) {
    await checkHostPathType(v.hostPath);
    return { path: v.hostPath.path, readOnly: false };
  }
  if (v.configMap) {
    const src = v.configMap;
    const dir = await volumeDir(podDir, PLUGIN.configMap, v.name);
    const cm = await d.objects.get('configmap', ns, src.name ?? '');
    if (!cm && src.optional !== true) throw new VolumeSourceError(`configmap "${src.name ?? ''}" not found`);
    await write(dir, cm ? keyPayload(configMapData(cm), src.items, src.defaultMode ?? DEFAULT_MODE, src.optional === true, configMapMissingKey) : new Map());
    return { path: dir, readOnly: true };
  }
  if (v.secret) {
    const src = v.secret;
    const dir = await volumeDir(podDir, PLUGIN.secret, v.name);
    await mountTmpfs(dir);
    const s = await d.objects.get('secret', ns, src.secretName ?? '');
    if (!s && src.optional !== true) throw new VolumeSourceError(`secret "${src.secretName ?? ''}" not found`);
    await write(dir, s ? keyPayload(secretData(s), src.items, src.defaultMode ?? DEFAULT_MODE, src.optional === true, secretMissingKey) : new Map());
    return { path: dir, readOnly: true };
  }
  if (v.downwardAPI) {
    const dir = await volumeDir(podDir, PLUGIN.downwardAPI, v.name);
    await mountTmpfs(dir);
    await write(dir, downwardPayload(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, d));
    return { path: dir, readOnly: true };
  }
  if (v.projected) {
    const dir = await volumeDir(podDir, PLUGIN.projected, v.name);
    await mountTmpfs(dir);
    await write(dir, await projected(d, pod, v));
    return { path: dir, readOnly: true };
  }
  if (v.persistentVolumeClaim) return claimVolume(d, pod, v.persistentVolumeClaim.claimName, v.persistentVolumeClaim.readOnly === true);
  if (v.ephemeral) return claimVolume(d, pod, `${pod.metadata?.name ?? ''}-${v.name}`, false);
  const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  throw new VolumeSourceError(`volume type ${kind} is not supported by this node agent`);
}

async function projected(d: SetUpDeps, pod: Pod, v: Volume): Promise<Payload> {
  const ns = pod.metadata?.namespace ?? '';
  const src = v.projected!;
  const configMaps = new Map<string, K8sObject | undefined>();
  const secrets = new Map<string, K8sObject | undefined>();
  const tokens = new Map<number, string>();
  const errors: Error[] = [];
  for (const [i, s] of (src.sources ?? []).entries()) {
    try {
      if (s.configMap?.name) configMaps.set(s.configMap.name, await d.objects.get('configmap', ns, s.configMap.name));
      if (s.secret?.name) secrets.set(s.secret.name, await d.objects.get('secret', ns, s.secret.name));
      if (s.serviceAccountToken) {
        const t = s.serviceAccountToken;
        tokens.set(i, await d.tokens.get({
          namespace: ns, serviceAccountName: pod.spec?.serviceAccountName || 'default', audience: t.audience, expirationSeconds: t.expirationSeconds ?? 3600,
          podName: pod.metadata?.name ?? '', podUid: pod.metadata?.uid ?? '',
        }));
      }
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (errors.length) throw newAggregate(errors)!;
  const fsUser = fsUserFrom(pod);
  const fsGroup = pod.spec?.securityContext?.fsGroup ?? undefined;
  return projectedPayload(pod, src, d, { configMaps, secrets, tokens, fsUser, privateToken: fsUser !== undefined || fsGroup !== undefined });
}

/** A claim bound to a local or hostPath PersistentVolume: the PV's directory, used in place. */
async function claimVolume(d: SetUpDeps, pod: Pod, claimName: string, readOnly: boolean): Promise<SetUpVolume> {
  const ns = pod.metadata?.namespace ?? '';
  const pvc = await d.client.get<K8sObject>(resources.persistentvolumeclaims, ns, claimName);
  const pvName = String(pvc.spec?.volumeName ?? '');
  if (pvc.status?.phase !== 'Bound' || !pvName) {
    throw new VolumeSourceError(`PVC ${ns}/${claimName} has non-bound phase (${JSON.stringify(pvc.status?.phase ?? '')}) or empty pvc.Spec.VolumeName (${JSON.stringify(pvName)})`);
  }
  const pv = await d.client.get<K8sObject>(resources.persistentvolumes, '', pvName);
  // The volume must name this claim back (the kubelet's getPVSpec): a claim that names a volume
  // bound elsewhere never reaches that volume's data.
  const ref = pv.spec?.claimRef;
  if (!ref) throw new VolumeSourceError(`found PV object ${JSON.stringify(pvName)} but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`);
  if (ref.uid !== pvc.metadata?.uid) throw new VolumeSourceError(`found PV object ${JSON.stringify(pvName)} but its pv.Spec.ClaimRef.UID (${JSON.stringify(ref.uid ?? '')}) does not point to claim.UID (${JSON.stringify(pvc.metadata?.uid ?? '')})`);
  const path: string | undefined = pv.spec?.local?.path ?? pv.spec?.hostPath?.path;
  if (!path) throw new VolumeSourceError(`persistentvolume ${pvName}: only local and hostPath volumes are supported by this node agent`);
  // The kubelet's checkNodeAffinity before mounting: another node's local volume is never made or used here.
  const node = d.node?.();
  if (node && !volumeFitsNode(pv, node)) throw new VolumeSourceError('NodeAffinity check failed: no matching NodeSelectorTerms');
  if (pv.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED] === LOCAL_PATH_PROVISIONER) {
    // The provisioner only named the directory; the node makes it (rancher's helper pod does, 0777),
    // recorded first, so that it is removed when the volume is deleted. Only a directory this node
    // makes, under the provisioner's own name for the volume (<pv>_<namespace>_<claim>), is
    // recorded: a path that already exists (a volume annotated by hand naming /etc, say) is never
    // removed on reclaim.
    if (!(await stat(path).catch(() => undefined))) {
      if (d.dataDir && basename(path).startsWith(`${pvName}_`)) await recordLocalPath(d.dataDir, pvName, String(pv.metadata?.uid ?? ''), path);
      await mkdir(path, { recursive: true, mode: 0o777 });
      await chmod(path, 0o777);
    }
  } else if (pv.spec?.hostPath) {
    await checkHostPathType({ path, type: pv.spec.hostPath.type });
  }
  try {
    await stat(path);
  } catch {
    throw new VolumeSourceError(`path "${path}" does not exist`);
  }
  return { path, readOnly, claim: { name: claimName, source: pv.spec?.local ? 'local' : 'hostPath' } };
}
