/**
 * The node agent's volume manager (the kubelet's volumemanager + makeMounts, cut down): before a
 * pod's sandbox starts, and again on every sync of the pod so that updates reach the files, each
 * volume is set up under <root>/<uid>/volumes (volume-setup.ts); a container's volumeMounts become
 * the runtime's bind mounts (read-only when asked, and always for configMap, secret, downwardAPI
 * and projected volumes as upstream's ReadOnlyAPIDataVolumes; subPath made safe by subpath.ts).
 * When the pod finishes its volumes are unmounted and removed (tearDownVolumes) but its directory
 * stays, with what the agent keeps there besides (pod-managed-files.ts: /etc/hosts, the termination
 * message files), as the kubelet keeps /var/lib/kubelet/pods/<uid> until the pod is deleted
 * (cleanupOrphanedPodDirs skips the pods it still has). When the pod goes every mount under its
 * directory is unmounted and the directory removed; directories of pods the node no longer has (an
 * agent restart after a crash) go the same way.
 * Mounts of running pods are kept across agent restarts: set-up finds them and reuses them.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { InformerLog } from '../../client/informer.ts';
import type { Timers } from '../../client/timers.ts';
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { CreateContainerConfigError } from '../env.ts';
import { expand } from '../runtime/expand.ts';
import type { MountSpec } from '../runtime/types.ts';
import { emptyDirOverLimit } from './empty-dir-limit.ts';
import { mountsUnder, unmountAll } from './mounts.ts';
import { ObjectCache } from './object-cache.ts';
import { prepareSubPath } from './subpath.ts';
import { TokenManager } from './token-manager.ts';
import { PLUGIN, setUpVolume, type SetUpVolume } from './volume-setup.ts';

export interface VolumeFailure {
  volume: string;
  message: string;
}

/** Some volumes of the pod could not be set up; each failure is a FailedMount event. */
export class VolumeSetUpError extends Error {
  readonly failures: readonly VolumeFailure[];
  constructor(failures: VolumeFailure[]) {
    super(`unmounted volumes=[${failures.map((f) => f.volume).join(' ')}]: ${failures.map((f) => f.message).join('; ')}`);
    this.failures = failures;
  }
}

export interface VolumeManagerOptions {
  /** <data dir>/pods. */
  root: string;
  /** The node's client: configMaps, secrets, PVCs, PVs and tokens are read as the node. */
  client: ApiClient;
  hostIP: string;
  allocatable: Readonly<Record<string, string>>;
  /** A configMap or secret a pod's volume names changed: sync that pod. */
  onChange(podUid: string): void;
  now?: () => number;
  random?: () => number;
  timers?: Timers;
  log?: InformerLog;
  /** How long a lookup waits for a new object watch's first list. */
  syncWaitMs?: number;
  /** This node's Node object: a claim's volume must fit it (PersistentVolume node affinity). */
  node?: () => K8sObject | undefined;
}

const UID = /^[A-Za-z0-9-]{1,64}$/;
/** What the volume manager makes in a pod's directory: the volumes, subPath bind mounts, plugin state. */
const VOLUME_DIRS = ['volumes', 'volume-subpaths', 'plugins'] as const;

export class VolumeManager {
  readonly objects: ObjectCache;
  readonly tokens: TokenManager;
  #o: VolumeManagerOptions;
  /** Per pod uid, its volumes as last set up (bounded by the pods on the node; dropped on tear-down). */
  #pods = new Map<string, Map<string, SetUpVolume>>();
  #tearingDown = new Map<string, Promise<void>>();

  constructor(o: VolumeManagerOptions) {
    this.#o = o;
    this.objects = new ObjectCache({ client: o.client, onChange: o.onChange, syncWaitMs: o.syncWaitMs, timers: o.timers, random: o.random, log: o.log });
    this.tokens = new TokenManager(o.client, o.now, o.random);
  }

  #podDir(uid: string): string {
    if (!UID.test(uid)) throw new Error(`pod uid ${JSON.stringify(uid)} cannot name a directory`);
    return join(this.#o.root, uid);
  }

  /** Sets up (or refreshes) every volume of the pod; throws VolumeSetUpError naming those that failed. */
  /** Whether a pod here has a volume at `path` (a local-path directory is not removed while one does). */
  usesPath(path: string): boolean {
    for (const volumes of this.#pods.values()) for (const v of volumes.values()) if (v.path === path) return true;
    return false;
  }

  async setUp(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const dir = this.#podDir(uid);
    await this.#tearingDown.get(uid);
    this.objects.register(pod);
    const now = this.#o.now;
    const deps = { client: this.#o.client, objects: this.objects, tokens: this.tokens, hostIP: this.#o.hostIP, allocatable: this.#o.allocatable, now: now && (() => new Date(now())), node: this.#o.node, dataDir: dirname(this.#o.root) };
    const done = this.#pods.get(uid) ?? new Map<string, SetUpVolume>();
    const failures: VolumeFailure[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      try {
        done.set(v.name, await setUpVolume(deps, pod, dir, v));
      } catch (err) {
        failures.push({ volume: v.name, message: (err as Error).message });
      }
    }
    this.#pods.set(uid, done);
    if (failures.length) throw new VolumeSetUpError(failures);
  }

  /** The pod's volumes from claims as last set up (read-only, for /stats/summary's pvcRef). */
  claimVolumes(uid: string): Array<{ name: string; claimName: string; path: string; source: 'local' | 'hostPath' }> {
    const out: Array<{ name: string; claimName: string; path: string; source: 'local' | 'hostPath' }> = [];
    for (const [name, v] of this.#pods.get(uid) ?? []) if (v.claim) out.push({ name, claimName: v.claim.name, path: v.path, source: v.claim.source });
    return out;
  }

  /**
   * Where the pod's emptyDir `name` lives, whether or not this agent set it up or still knows the
   * pod: a memory-backed one is a tmpfs there until it is unmounted (memory-volumes.ts stats it).
   */
  emptyDirPath(uid: string, name: string): string | undefined {
    return UID.test(uid) ? join(this.#o.root, uid, 'volumes', PLUGIN.emptyDir, name) : undefined;
  }

  /** Where the pod's volume was last set up (for the eviction manager's du), if it was. */
  volumePath(uid: string, name: string): string | undefined {
    return this.#pods.get(uid)?.get(name)?.path;
  }

  /** Why the pod must be evicted for its volumes' use of the disk (an emptyDir over its sizeLimit), if it must. */
  evictionReason(pod: Pod): Promise<string | undefined> {
    const vols = this.#pods.get(pod.metadata?.uid ?? '');
    return emptyDirOverLimit(pod, (name) => vols?.get(name)?.path);
  }

  /** The container's volumeMounts as the runtime's mounts (after setUp of its pod). */
  async mountsFor(pod: Pod, c: Container, env: ReadonlyArray<{ name: string; value: string }>): Promise<MountSpec[]> {
    const uid = pod.metadata?.uid ?? '';
    const vols = this.#pods.get(uid);
    const vars = new Map(env.map((e) => [e.name, e.value]));
    const out: MountSpec[] = [];
    for (const [i, m] of (c.volumeMounts ?? []).entries()) {
      const v = vols?.get(m.name);
      if (!v) throw new CreateContainerConfigError(`cannot find volume "${m.name}" to mount into container "${c.name}"`);
      if (m.mountPropagation && m.mountPropagation !== 'None') throw new CreateContainerConfigError(`mountPropagation ${m.mountPropagation} of volumeMount "${m.name}" is not supported by this node agent (only None)`);
      if (m.recursiveReadOnly === 'Enabled') throw new CreateContainerConfigError(`recursiveReadOnly Enabled of volumeMount "${m.name}" is not supported by this node agent`);
      let sub = m.subPath ?? '';
      if (m.subPathExpr) sub = expand(m.subPathExpr, (n) => vars.get(n));
      let hostPath = v.path;
      if (sub) {
        try {
          hostPath = await prepareSubPath({ volumePath: v.path, subPath: sub, target: join(this.#podDir(uid), 'volume-subpaths', m.name, c.name, String(i)) });
        } catch (err) {
          throw new CreateContainerConfigError(`failed to prepare subPath for volumeMount "${m.name}" of container "${c.name}": ${(err as Error).message}`);
        }
      }
      out.push({ containerPath: m.mountPath, hostPath, readOnly: m.readOnly === true || v.readOnly, propagation: 'None' });
    }
    return out;
  }

  /** Unmounts and removes everything of the pod (its containers must have stopped). Idempotent. */
  tearDown(uid: string): Promise<void> {
    const running = this.#tearingDown.get(uid);
    if (running) return running;
    const p = this.#tearDown(uid).finally(() => this.#tearingDown.delete(uid));
    this.#tearingDown.set(uid, p);
    return p;
  }

  async #tearDown(uid: string): Promise<void> {
    this.objects.unregister(uid);
    this.tokens.forgetPod(uid);
    this.#pods.delete(uid);
    const dir = this.#podDir(uid);
    if (!(await stat(dir).catch(() => undefined))) return;
    await unmountAll(dir);
    // Never recurse into something still mounted (it could be a host directory).
    const left = await mountsUnder(dir);
    if (left.length) throw new Error(`pod directory ${dir} still has mounts: ${left.join(', ')}`);
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * A finished pod's volumes (its containers have stopped): unmounted and their directories
   * removed, so a memory-backed emptyDir frees the node's memory; the pod's directory and the rest
   * of it stay until tearDown. Idempotent; nothing to do once they are gone.
   */
  async tearDownVolumes(uid: string): Promise<void> {
    // After a deletion's tear-down that is under way (that one throws its own errors).
    await this.#tearingDown.get(uid)?.catch(() => undefined);
    this.objects.unregister(uid);
    this.tokens.forgetPod(uid);
    this.#pods.delete(uid);
    const dir = this.#podDir(uid);
    const own = VOLUME_DIRS.map((d) => join(dir, d));
    const there = await Promise.all(own.map((d) => stat(d).then(() => true, () => false)));
    if (!there.includes(true)) return;
    await unmountAll(dir);
    const left = await mountsUnder(dir);
    if (left.length) throw new Error(`pod directory ${dir} still has mounts: ${left.join(', ')}`);
    for (const d of own) await rm(d, { recursive: true, force: true });
  }

  /** Tears down the directories of pods that `keep` does not claim (the kubelet's cleanupOrphanedPodDirs). */
  async cleanupOrphans(keep: (uid: string) => boolean): Promise<string[]> {
    let uids: string[];
    try {
      uids = await readdir(this.#o.root);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const uid of uids) {
      if (!UID.test(uid) || keep(uid) || this.#pods.has(uid)) continue;
      await this.tearDown(uid);
      removed.push(uid);
    }
    return removed;
  }

  stop(): void {
    this.objects.stop();
  }
}
