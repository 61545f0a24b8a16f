/**
 * VolumeRestrictions (plugins/volumerestrictions): a node already running a pod with the same
 * GCE PD, AWS EBS volume, iSCSI IQN or RBD image (unless every mount is read-only; EBS always)
 * cannot take the pod; and a ReadWriteOncePod claim used by any scheduled pod keeps every other
 * pod using it off every node. PreFilter counts the pods holding the pod's ReadWriteOncePod
 * claims over the cycle's nodes (preemption's dry runs count again on their own node lists).
 */
import type { Informer } from '../../client/types.ts';
import { PVCS } from '../../controllers/volume/binder-ops.ts';
import { podClaimNames, type PVC } from '../../controllers/volume/volume-util.ts';
import { asError, SKIP, SUCCESS, unresolvable, unschedulable, type AnyPlugin, type CycleState, type PluginContext } from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';
import type { Pod } from '../resources.ts';

export const ERR_REASON_DISK_CONFLICT = 'node(s) had no available disk';
export const ERR_REASON_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

const STATE_KEY = 'PreFilterVolumeRestrictions';

type Volume = Record<string, any>;

const overlap = (a: readonly string[] = [], b: readonly string[] = []): boolean => a.some((x) => b.includes(x));

/** isVolumeConflict: does `v` clash with a volume of the existing pod? */
export function volumeConflicts(v: Volume, existing: Pod): boolean {
  for (const e of (existing.spec?.volumes ?? []) as Volume[]) {
    if (v.gcePersistentDisk && e.gcePersistentDisk && v.gcePersistentDisk.pdName === e.gcePersistentDisk.pdName && !(v.gcePersistentDisk.readOnly && e.gcePersistentDisk.readOnly)) return true;
    if (v.awsElasticBlockStore && e.awsElasticBlockStore && v.awsElasticBlockStore.volumeID === e.awsElasticBlockStore.volumeID) return true;
    if (v.iscsi && e.iscsi && v.iscsi.iqn === e.iscsi.iqn && !(v.iscsi.readOnly && e.iscsi.readOnly)) return true;
    if (v.rbd && e.rbd && overlap(v.rbd.monitors, e.rbd.monitors) && (v.rbd.pool ?? 'rbd') === (e.rbd.pool ?? 'rbd') && v.rbd.image === e.rbd.image && !(v.rbd.readOnly && e.rbd.readOnly)) return true;
  }
  return false;
}

const restricted = (v: Volume): boolean => Boolean(v.gcePersistentDisk || v.awsElasticBlockStore || v.iscsi || v.rbd);

export function volumeRestrictions(ctx: PluginContext): AnyPlugin {
  const claims: Informer<PVC> | undefined = ctx.informers?.informer<PVC>(PVCS);
  return {
    name: 'VolumeRestrictions',
    preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]) {
      const disks = ((pod.spec?.volumes ?? []) as Volume[]).filter(restricted);
      const names = podClaimNames(pod);
      const ns = pod.metadata.namespace ?? '';
      const rwop = new Set<string>();
      if (names.length > 0) {
        if (!claims) return asError(new Error('VolumeRestrictions needs the scheduler to share its informers with plugins'));
        if (!claims.hasSynced()) return asError(new Error('the claim informer has not synced yet'));
        for (const name of names) {
          const claim = claims.get(ns, name);
          if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
          if ((claim.spec?.accessModes ?? []).includes('ReadWriteOncePod')) rwop.add(name);
        }
      }
      let conflicting = 0;
      if (rwop.size > 0) {
        for (const n of nodes) {
          for (const p of n.pods) {
            if (p.metadata.namespace !== ns || p.metadata.uid === pod.metadata.uid) continue;
            if (podClaimNames(p).some((c) => rwop.has(c))) conflicting++;
          }
        }
      }
      if (disks.length === 0 && conflicting === 0) return SKIP;
      state.set(STATE_KEY, { disks, conflicting });
      return SUCCESS;
    },
    filter(state: CycleState, _pod: Pod, node: NodeInfo) {
      const s = state.get(STATE_KEY) as { disks: Volume[]; conflicting: number } | undefined;
      if (!s) return asError(new Error(`reading ${JSON.stringify(STATE_KEY)} from cycle state: not found`));
      for (const v of s.disks) for (const p of node.pods) if (volumeConflicts(v, p)) return unschedulable(ERR_REASON_DISK_CONFLICT);
      return s.conflicting > 0 ? unschedulable(ERR_REASON_RWOP_CONFLICT) : SUCCESS;
    },
  };
}
