/** restrictedVolumes: only ephemeral and API-backed inline volume sources (upstream policy/check_restrictedVolumes.go). */
import { ALLOWED, forbidden, joinQuote, pluralize, sortedUnique } from '../format.ts';
import type { CheckDefinition, CheckResult, PodMetaLike, PodSpecLike } from '../types.ts';
import { HOST_PATH_VOLUMES_ID } from './host.ts';

const ALLOWED_SOURCES = [
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret',
];

/** Known restricted sources, in upstream's switch order (the first one present names the volume's type). */
const RESTRICTED_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd',
  'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk',
  'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
];

function restrictedVolumes(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const volumes = spec.volumes;
  if (!volumes) return ALLOWED;
  const bad: string[] = [];
  const types: string[] = [];
  // A volume naming no source is "unknown" here; the API server defaults it to emptyDir before
  // admission (core/v1 SetDefaults_Volume), so PodSecurity must run on the defaulted pod.
  for (const v of volumes) {
    const sources = v as Readonly<Record<string, unknown>>;
    if (ALLOWED_SOURCES.some((k) => sources[k] != null)) continue;
    bad.push(v.name ?? '');
    types.push(RESTRICTED_SOURCES.find((k) => sources[k] != null) ?? 'unknown');
  }
  if (bad.length === 0) return ALLOWED;
  const list = sortedUnique(types);
  return forbidden('restricted volume types', [
    pluralize('volume', 'volumes', bad.length),
    joinQuote(bad),
    pluralize('uses', 'use', bad.length),
    pluralize('restricted volume type', 'restricted volume types', list.length),
    joinQuote(list),
  ].join(' '));
}

export const volumeChecks: readonly CheckDefinition[] = [
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    versions: [{ minVersion: 0, check: restrictedVolumes, overrides: [HOST_PATH_VOLUMES_ID] }],
  },
];
