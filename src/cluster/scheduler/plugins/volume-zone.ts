/**
 * VolumeZone (plugins/volumezone): a pod whose bound volumes carry zone or region labels goes only
 * to nodes labelled with one of those values (a label value may list several, joined by "__");
 * a node with no zone or region label at all is fine (a single-zone cluster). Unbound claims of a
 * WaitForFirstConsumer class are left to VolumeBinding.
 */
import type { Informer } from '../../client/types.ts';
import { PVCS, PVS, STORAGE_CLASSES } from '../../controllers/volume/binder-ops.ts';
import { claimClass, podClaimNames, type PV, type PVC, type StorageClass } from '../../controllers/volume/volume-util.ts';
import { asError, SKIP, SUCCESS, unresolvable, type AnyPlugin, type CycleState, type PluginContext } from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';
import type { Pod } from '../resources.ts';

export const ERR_REASON_ZONE_CONFLICT = 'node(s) had no available volume zone';

const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';
const BETA_ZONE = 'failure-domain.beta.kubernetes.io/zone';
const BETA_REGION = 'failure-domain.beta.kubernetes.io/region';
const TOPOLOGY_LABELS = [BETA_ZONE, BETA_REGION, ZONE, REGION];
const GA: Record<string, string> = { [BETA_ZONE]: ZONE, [BETA_REGION]: REGION };
const STATE_KEY = 'PreFilterVolumeZone';

interface Topology { key: string; values: Set<string> }

export function volumeZone(ctx: PluginContext): AnyPlugin {
  const claims: Informer<PVC> | undefined = ctx.informers?.informer<PVC>(PVCS);
  const volumes: Informer<PV> | undefined = ctx.informers?.informer<PV>(PVS);
  const classes: Informer<StorageClass> | undefined = ctx.informers?.informer<StorageClass>(STORAGE_CLASSES);
  return {
    name: 'VolumeZone',
    preFilter(state: CycleState, pod: Pod) {
      const names = podClaimNames(pod);
      if (names.length === 0) return SKIP;
      if (!claims || !volumes || !classes) return asError(new Error('VolumeZone needs the scheduler to share its informers with plugins'));
      const topologies: Topology[] = [];
      for (const name of names) {
        const claim = claims.get(pod.metadata.namespace ?? '', name);
        if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
        const pvName: string | undefined = claim.spec?.volumeName;
        if (!pvName) {
          const scName = claimClass(claim);
          if (!scName) return unresolvable('PersistentVolumeClaim had no pv name and storageClass name');
          const sc = classes.get('', scName);
          if (!sc) return unresolvable(`storageclass.storage.k8s.io "${scName}" not found`);
          if (sc.volumeBindingMode === 'WaitForFirstConsumer') continue;
          return unresolvable('PersistentVolume had no name');
        }
        const pv = volumes.get('', pvName);
        if (!pv) return unresolvable(`persistentvolume "${pvName}" not found`);
        for (const key of TOPOLOGY_LABELS) {
          const v = pv.metadata.labels?.[key];
          if (v !== undefined) topologies.push({ key, values: new Set(String(v).split('__')) });
        }
      }
      if (topologies.length === 0) return SKIP;
      state.set(STATE_KEY, topologies);
      return SUCCESS;
    },
    filter(state: CycleState, _pod: Pod, node: NodeInfo) {
      const topologies = state.get(STATE_KEY) as Topology[] | undefined;
      if (!topologies) return asError(new Error(`reading ${JSON.stringify(STATE_KEY)} from cycle state: not found`));
      const labels: Record<string, string> = node.node.metadata.labels ?? {};
      if (!TOPOLOGY_LABELS.some((k) => Object.hasOwn(labels, k))) return SUCCESS;
      for (const t of topologies) {
        let v = labels[t.key];
        // A volume's beta label matches a node's GA one.
        if (v === undefined && GA[t.key]) v = labels[GA[t.key]!];
        if (v === undefined || !t.values.has(v)) return unresolvable(ERR_REASON_ZONE_CONFLICT);
      }
      return SUCCESS;
    },
  };
}
