/** Volume checks of a PodSecurityPolicy (upstream provider.validatePodVolumes and psp util). */
import path from 'node:path';
import { invalid, scalar, str, type FieldError } from './field-error.ts';
import { containersWithPath } from './containers.ts';

type Obj = Record<string, any>;

/** The volume source fields, which are also the policy's FSType names. */
const FS_TYPES = new Set([
  'azureFile', 'flocker', 'flexVolume', 'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret',
  'nfs', 'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'downwardAPI', 'fc', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral',
]);

function hasPathPrefix(s: string, prefix: string): boolean {
  const a = path.posix.normalize(s).replace(/(.)\/$/, '$1');
  const p = path.posix.normalize(prefix).replace(/(.)\/$/, '$1');
  if (a === p) return true;
  if (!a.startsWith(p)) return false;
  return p.endsWith('/') || a[p.length] === '/';
}

/** Whether a host path is allowed, and whether it must then be mounted read-only. */
function allowsHostPath(spec: Obj, hostPath: string): { allowed: boolean; readOnly: boolean } {
  const allowedPaths: Obj[] = spec.allowedHostPaths ?? [];
  if (allowedPaths.length === 0) return { allowed: true, readOnly: false };
  let allowed = false;
  for (const ap of allowedPaths) {
    if (!hasPathPrefix(hostPath, ap.pathPrefix ?? '')) continue;
    if (!ap.readOnly) return { allowed: true, readOnly: false };
    allowed = true;
  }
  return { allowed, readOnly: allowed };
}

export function validateVolumes(spec: Obj, pod: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const allowed: string[] = spec.volumes ?? [];
  const any = allowed.includes('*');
  (pod.spec?.volumes ?? []).forEach((v: Obj, i: number) => {
    const p = `spec.volumes[${i}]`;
    const fsType = Object.keys(v).find((k) => FS_TYPES.has(k) && v[k] != null);
    if (!fsType) {
      errs.push(invalid(p, str(''), `unknown volume type for volume: ${v.name}`));
      return;
    }
    if (!any && !allowed.includes(fsType)) {
      errs.push(invalid(p, str(fsType), `${fsType} volumes are not allowed to be used`));
      return;
    }
    if (fsType === 'hostPath') {
      const hp: string = v.hostPath.path ?? '';
      const { allowed: ok, readOnly } = allowsHostPath(spec, hp);
      if (!ok) errs.push(invalid(`${p}.hostPath.pathPrefix`, str(hp), 'is not allowed to be used'));
      else if (readOnly) {
        for (const { container, path: cp } of containersWithPath(pod)) {
          (container.volumeMounts ?? []).forEach((m: Obj, j: number) => {
            if (m.name === v.name && !m.readOnly) errs.push(invalid(`${cp}.volumeMounts[${j}].readOnly`, scalar(false), 'must be read-only'));
          });
        }
      }
    } else if (fsType === 'flexVolume') {
      const drivers: Obj[] = spec.allowedFlexVolumes ?? [];
      const driver: string = v.flexVolume.driver ?? '';
      if (drivers.length > 0 && !drivers.some((d) => d.driver === driver)) {
        errs.push(invalid(`${p}.driver`, str(driver), 'Flexvolume driver is not allowed to be used'));
      }
    } else if (fsType === 'csi') {
      const drivers: Obj[] = spec.allowedCSIDrivers ?? [];
      const driver: string = v.csi.driver ?? '';
      if (drivers.length > 0 && !drivers.some((d) => d.name === driver)) {
        errs.push(invalid(`${p}.csi.driver`, str(driver), 'Inline CSI driver is not allowed to be used'));
      }
    }
  });
  return errs;
}
