/**
 * The PersistentVolume binder (upstream's persistentvolume-binder-controller,
 * pkg/controller/volume/persistentvolume): level-triggered over the shared informers of volumes,
 * claims, StorageClasses, nodes and pods. Volume and claim events enqueue keys (volume:<name>,
 * claim:<ns>/<name>) on one queue; a claim deleted sends its volume to be released; a class added
 * sends the unbound claims back (they may now provision or get the default class).
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { realTimers } from '../../client/timers.ts';
import { newEventRecorder } from '../events.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { COMPONENT, PVCS, PVS, STORAGE_CLASSES, type BinderContext } from './binder-ops.ts';
import { syncClaim } from './claim-sync.ts';
import { DEFAULT_LOCAL_PATH_ROOT } from './local-path.ts';
import { syncVolume } from './volume-sync.ts';
import { ANN_BIND_COMPLETED, type PV, type PVC, type StorageClass } from './volume-util.ts';

export interface BinderDeps extends WorkloadControllerDeps {
  /** Root directory of local-path volumes on the nodes (default /var/lib/portcullis/local-path-provisioner). */
  localPathRoot?: string;
  /** How often every claim and volume is synced again (default 15 s). */
  resyncMs?: number;
}

export const PV_BINDER = 'persistentvolume-binder-controller';
/** kube-controller-manager's --pvclaimbinder-sync-period default. */
export const BINDER_RESYNC_MS = 15_000;

export function newPersistentVolumeBinder(deps: BinderDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const volumes = deps.informers.informer<PV>(PVS);
  const claims = deps.informers.informer<PVC>(PVCS);
  const classes = deps.informers.informer<StorageClass>(STORAGE_CLASSES);
  const nodes = deps.informers.informer<K8sObject>(resources.nodes);
  const pods = deps.informers.informer<K8sObject>(resources.pods);
  const recorder = newEventRecorder({ client, component: COMPONENT, now, suffix: eventSuffix(deps.random ?? Math.random), log });
  const enqueueClaim = (key: string) => queue.add(`claim:${key}`);
  const enqueueVolume = (name: string) => queue.add(`volume:${name}`);
  const ctx: BinderContext = { client, recorder, volumes, claims, classes, nodes, pods, now, localPathRoot: deps.localPathRoot ?? DEFAULT_LOCAL_PATH_ROOT, enqueueClaim, enqueueVolume, told: new Set() };

  const claimKey = (c: PVC) => `${c.metadata.namespace}/${c.metadata.name}`;
  const unboundClaims = () => {
    for (const c of claims.list()) if (c.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) enqueueClaim(claimKey(c));
  };
  // A volume that may now be free is a match for the claims waiting (upstream finds them on its
  // 15 s resync; here the volume's own event sends them).
  const volumeChanged = (v: PV) => {
    enqueueVolume(v.metadata.name!);
    if (!v.spec?.claimRef || v.status?.phase === 'Available') unboundClaims();
  };
  volumes.addEventHandler({
    add: volumeChanged,
    update: (_o, v) => volumeChanged(v),
    // A deleted volume leaves its bound claim Lost.
    delete: (v) => {
      const ref = v.spec?.claimRef;
      if (ref?.name) enqueueClaim(`${ref.namespace}/${ref.name}`);
    },
  });
  claims.addEventHandler({
    add: (c) => enqueueClaim(claimKey(c)),
    update: (_o, c) => enqueueClaim(claimKey(c)),
    // The claim's volume is released (and reclaimed) by the volume's sync.
    delete: (c) => {
      if (c.spec?.volumeName) enqueueVolume(c.spec.volumeName);
    },
  });
  classes.addEventHandler({ add: unboundClaims, update: unboundClaims });

  const sync = async (key: string): Promise<void> => {
    if (key.startsWith('volume:')) {
      const v = volumes.get('', key.slice('volume:'.length));
      if (v) await syncVolume(ctx, v);
      return;
    }
    const [ns, name] = key.slice('claim:'.length).split('/') as [string, string];
    const c = claims.get(ns, name);
    if (c) await syncClaim(ctx, c);
  };

  const worker = newQueueController({ name: PV_BINDER, queue, waitFor: [volumes, claims, classes, nodes, pods], sync, log });
  // Upstream's resync(): every sync period each claim and volume is queued again from the
  // informers, so what no event announces (a provisioning to retry, a volume whose claim went
  // away while a sync failed) is still caught. The queue collapses keys already waiting.
  const timers = deps.timers ?? realTimers;
  const resyncMs = deps.resyncMs ?? BINDER_RESYNC_MS;
  let timer: unknown;
  let stopped = false;
  const resync = () => {
    if (stopped) return;
    for (const c of claims.list()) enqueueClaim(claimKey(c));
    for (const v of volumes.list()) enqueueVolume(v.metadata.name!);
    timer = timers.setTimeout(resync, resyncMs);
  };
  return {
    name: worker.name,
    run(workers) {
      worker.run(workers);
      timer = timers.setTimeout(resync, resyncMs);
    },
    async stop() {
      stopped = true;
      timers.clearTimeout(timer);
      await worker.stop();
    },
  };
}
