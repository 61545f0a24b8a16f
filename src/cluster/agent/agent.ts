/**
 * `startAgent`: one node agent (the kubelet's part of it that is built so far). It joins by TLS
 * bootstrap, then acts only as system:node:<name> (Node authorizer, NodeRestriction): registers
 * its Node, renews its Lease and reports NodeStatus, caches only its own pods (fieldSelector
 * spec.nodeName=<name>), and runs each through its pod worker against the container runtime. A
 * relist of the runtime every second (the kubelet's PLEG) wakes the worker of a pod whose
 * containers changed, and finds what no pod owns any more (removed after the first pod list).
 * The client certificate is rotated at 70-90 % of its life; a serving certificate is requested
 * (kubelet-serving, approved by hand as upstream). The pod network, when the agent runs one, acts
 * with an identity of its own (network/network-identity.ts), as calico-node or kube-proxy do, so
 * the node identity never lists other nodes' pods. Stopping the agent leaves containers running:
 * the next agent re-adopts them from the runtime's state.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { statfs } from 'node:fs/promises';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { SharedInformerFactory, stripManagedFields } from '../client/informer.ts';
import { resources } from '../client/resources.ts';
import { RestClient } from '../client/rest-client.ts';
import { realTimers } from '../client/timers.ts';
import { SysctlAllowlist } from './runtime/sysctl-allowlist.ts';
import type { ApiClient, ClientConfig, Informer, K8sObject } from '../client/types.ts';
import { renewLease } from '../sim/heartbeat.ts';
import { AllocationCheckpoint } from './allocation-checkpoint.ts';
import { CertManager } from './cert-manager.ts';
import type { Agent, AgentOptions } from './agent-options.ts';
import { readHostInfo } from './host-info.ts';
import { CLIENT_USAGES, SERVING_USAGES, SIGNER_CLIENT_KUBELET, SIGNER_KUBELET_SERVING, loadCert, type StoredCert } from './node-certificates.ts';
import { agentNodeObject, registerAgentNode, syncAgentNodeStatus, type AgentNode } from './node-status.ts';
import { startNetworkIdentity, type NetworkIdentity } from './network/network-identity.ts';
import { PodSyncer } from './pod-sync.ts';
import { PodWorkers } from './pod-workers.ts';
import { newCountingEventRecorder } from '../controllers/event-series.ts';
import { eventSuffix } from '../controllers/queue-controller.ts';
import { RotatingClient } from './rotating-client.ts';
import type { ImageService } from './runtime/types.ts';
import { orphanPod, Pleg } from './pleg.ts';
import { loadOrBootstrapClientCert } from './tls-bootstrap.ts';
import { VolumeManager } from './volumes/volume-manager.ts';
import { PodManagedFiles } from './pod-managed-files.ts';
import { ImageGcManager, type GcImageStore } from './image-gc.ts';
import { LocalStorageEviction } from './eviction/local-storage-eviction.ts';
import { kubernetesUserAgent } from '../../util/http/user-agent.ts';
import { observeDisk } from './eviction/disk-pressure.ts';
import { PressureMonitor } from './eviction/pressure-monitor.ts';
import { DEFAULT_EVICTION_HARD, DISK_SIGNALS, parseThresholdConfig, type Observations } from './eviction/thresholds.ts';
import { observation, readNodeMemory, readPids } from './eviction/node-signals.ts';
import { parseQty } from '../../api/quantity.ts';
import { memoryVolumeBytes } from './eviction/memory-volumes.ts';
import { NodePressureEviction } from './eviction/node-pressure-eviction.ts';
import { startNodeAllocatableEnforcement } from './runtime/pods-cgroup-limits.ts';
import { nodeRegistration } from './kubelet-flags.ts';

export type { Agent, AgentLog, AgentOptions } from './agent-options.ts';

/** As the kubelet's clients (bootstrap and node credentials alike): client-go's default User-Agent. */
const KUBELET_USER_AGENT = kubernetesUserAgent('kubelet');
const UID_INDEX = 'uid';
/** Idle API connections the agent keeps (each ~115 KiB of its memory). */
export const AGENT_IDLE_CONNECTIONS = 4;

export async function startAgent(o: AgentOptions): Promise<Agent> {
  // Absolute from here on: the runtime gets host paths under it (mount sources, which runc would
  // resolve against the container's bundle), and `up` passes ./.portcullis/agent.
  o = { ...o, dataDir: resolve(o.dataDir) };
  const now = o.now ?? Date.now;
  const timers = o.timers ?? realTimers;
  const make = o.makeClient ?? ((c: ClientConfig) => new RestClient(c));
  const { thresholds: evictionThresholds, error: evictionError } = parseThresholdConfig({ hard: o.evictionHard ?? DEFAULT_EVICTION_HARD, soft: o.evictionSoft, softGracePeriod: o.evictionSoftGracePeriod, minimumReclaim: o.evictionMinimumReclaim });
  if (evictionError) throw new Error(`invalid eviction thresholds: ${evictionError}`);
  // The kubelet refuses to start on an unsafe sysctl that is not namespaced (NewAllowlist).
  const sysctls = SysctlAllowlist.withUnsafe(o.allowedUnsafeSysctls);
  // And on --node-labels / --register-with-taints it would not set (ValidateKubeletFlags, ValidateKubeletConfiguration).
  const registration = nodeRegistration(o);
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const host = o.host ?? readHostInfo({ dataDir: o.dataDir, nodeIP: o.nodeIP, runtimeVersion: o.runtimeVersion });
  // The pods' cgroup made with its limits before anything can run in it (createNodeAllocatableCgroups).
  await o.nodeAllocatable?.create?.();
  const stopping = new AbortController();
  o.signal?.addEventListener('abort', () => stopping.abort(), { once: true });

  let bootstrapClient: ApiClient | undefined;
  let cert: StoredCert;
  try {
    ({ cert } = await loadOrBootstrapClientCert({
      nodeName: o.nodeName, dataDir: o.dataDir, now, timers, pollMs: o.csrPollMs, log: o.log, signal: stopping.signal,
      bootstrapClient: () => (bootstrapClient ??= make({ ...o.bootstrap, userAgent: KUBELET_USER_AGENT })),
    }));
  } finally {
    bootstrapClient?.close();
  }
  // Few idle connections: the agent's steady traffic (status writes, its lease) needs one or two,
  // and each idle one holds ~115 KiB; a burst of pod starts opens more and closes them after.
  const certConfig = (userAgent: string) => (c: StoredCert): ClientConfig => ({ server: o.bootstrap.server, identity: { caPem: o.bootstrap.identity.caPem, certPem: c.certPem, keyPem: c.keyPem, ...(o.bootstrap.identity.serverName ? { serverName: o.bootstrap.identity.serverName } : {}) }, userAgent, maxIdleConnections: AGENT_IDLE_CONNECTIONS });
  const nodeConfig = certConfig(KUBELET_USER_AGENT);
  const client = new RotatingClient(nodeConfig(cert), make, { timers });
  const undo: Array<() => unknown> = [() => client.close()];
  const stop = async () => {
    stopping.abort();
    for (const u of undo.splice(0).reverse()) {
      try {
        await u();
      } catch (err) {
        o.log.warn({ err: (err as Error).message }, 'agent: error while stopping');
      }
    }
  };
  try {
    const node: AgentNode = { name: o.nodeName, hasLease: false, since: now() };
    await registerAgentNode(client, node, host, now(), registration);
    o.log.info({ node: o.nodeName, uid: node.uid }, 'node registered');

    // Heartbeats: the Lease every leaseRenewMs, the status every statusReportMs.
    const leaseCfg = { client, now, leaseDurationSeconds: o.leaseDurationSeconds ?? 40 };
    const every = (ms: number, what: string, fn: () => Promise<void>) => {
      let t: unknown;
      const tick = async () => {
        try {
          await fn();
        } catch (err) {
          o.log.warn({ err: (err as Error).message }, `${what} failed`);
        }
        if (!stopping.signal.aborted) t = timers.setTimeout(() => void tick(), ms);
      };
      void tick();
      undo.push(() => timers.clearTimeout(t));
    };
    every(o.leaseRenewMs ?? 10_000, 'lease renewal', () => renewLease(leaseCfg, node));
    const reportMs = o.statusReportMs ?? 300_000;
    // The eviction manager's signals, those a threshold names: statfs of the data directory (pods,
    // logs, images and layers live there), the node's memory, the pods' cgroup against its limit
    // (capacity less system- and kube-reserved; not less the eviction threshold, which Node
    // allocatable also subtracts), the node's PIDs.
    const signals = new Set(evictionThresholds.map((t) => t.signal));
    const allocatableMemory = o.nodeAllocatable?.podsMemoryBytes ?? Number((parseQty(host.capacity.memory ?? '0')?.nanos ?? 0n) / 1_000_000_000n);
    const observe = async (): Promise<Observations> => {
      const obs: Observations = {};
      if (DISK_SIGNALS.some((s) => signals.has(s))) {
        const st = await (o.statfs ?? statfs)(o.dataDir);
        Object.assign(obs, observeDisk(st, st));
      }
      if (signals.has('memory.available')) {
        const m = await (o.nodeMemory ?? readNodeMemory)();
        obs['memory.available'] = observation(m.capacity, m.workingSet);
      }
      if (signals.has('allocatableMemory.available') && allocatableMemory > 0) obs['allocatableMemory.available'] = observation(allocatableMemory, (await o.runtime.podsUsageStats())?.usage.memoryWorkingSetBytes ?? 0);
      const pids = signals.has('pid.available') ? await (o.pids ?? readPids)() : undefined;
      if (pids) obs['pid.available'] = observation(pids.max, pids.running);
      return obs;
    };
    const pressure = new PressureMonitor({ thresholds: evictionThresholds, transitionMs: o.evictionPressureTransitionMs, now, log: o.log, observe });
    // Node events of the status loop (NodeHasDiskPressure …): set once the event recorder exists.
    let nodeEvent: ((reason: string, message: string) => void) | undefined;
    const nodePressure = () => ({ disk: pressure.has('DiskPressure'), memory: pressure.has('MemoryPressure'), pid: pressure.has('PIDPressure') });
    every(o.statusUpdateMs ?? 10_000, 'node status update', async () => void (await syncAgentNodeStatus(client, node, host, now(), reportMs, nodePressure(), (r, m) => nodeEvent?.(r, m))));

    // Certificates: the client one rotated in place, the serving one requested and kept current.
    const certLog = { info: o.log.info.bind(o.log), warn: o.log.warn.bind(o.log) };
    const clientCerts = new CertManager({
      kind: 'client', nodeName: o.nodeName, dataDir: o.dataDir, signerName: SIGNER_CLIENT_KUBELET, usages: CLIENT_USAGES, current: cert,
      client: () => client, onRotated: (c) => client.replace(nodeConfig(c)), log: certLog, now, random: o.random, timers, pollMs: o.csrPollMs,
    });
    const servingCerts = new CertManager({
      kind: 'server', nodeName: o.nodeName, dataDir: o.dataDir, signerName: SIGNER_KUBELET_SERVING, usages: SERVING_USAGES,
      sans: { dnsNames: [host.hostname, o.nodeName].filter((v, i, a) => a.indexOf(v) === i), ipAddresses: [host.internalIP] },
      current: loadCert(o.dataDir, 'server', new Date(now())), client: () => client, onRotated: (c) => o.onServingCertificate?.(c), log: certLog, now, random: o.random, timers, pollMs: o.csrPollMs,
    });
    if (servingCerts.current) o.onServingCertificate?.(servingCerts.current);
    clientCerts.start();
    servingCerts.start();
    undo.push(() => clientCerts.stop(), () => servingCerts.stop());

    // Only this node's pods. No informer here keeps managedFields (nothing in the agent reads them,
    // and the agent never writes back a cached object): ~4 KB a pod, as kube-controller-manager drops them.
    const informers = new SharedInformerFactory({ client, fieldSelector: `spec.nodeName=${o.nodeName}`, timers, random: o.random, log: o.log, transform: stripManagedFields });
    const pods = informers.informer<K8sObject>(resources.pods) as Informer<K8sObject>;
    pods.addIndexers({ [UID_INDEX]: (p) => [p.metadata.uid ?? ''] });
    // Services of every namespace (the Service environment variables), on a factory of their own: no node selector.
    const clusterInformers = new SharedInformerFactory({ client, timers, random: o.random, log: o.log, transform: stripManagedFields });
    const services = clusterInformers.informer<K8sObject>(resources.services);
    // Its own Node (labels and taints for pod admission), as the kubelet's node lister; before the first list, the Node as registered.
    const nodeInformers = new SharedInformerFactory({ client, fieldSelector: `metadata.name=${o.nodeName}`, timers, random: o.random, log: o.log, transform: stripManagedFields });
    const nodes = nodeInformers.informer<K8sObject>(resources.nodes);
    /** Last known object of pods gone from the API whose runtime state is not cleaned up yet. */
    const removed = new Map<string, Pod>();
    const byUid = (uid: string): Pod | undefined => pods.byIndex(UID_INDEX, uid)[0] as Pod | undefined;

    let network = o.network;
    let podFiles: ((pod: Pod) => Promise<Record<string, string>>) | undefined;
    let missingClusterDNS: ((pod: Pod) => boolean) | undefined;
    let networkIdentity: NetworkIdentity | undefined;
    if (!network && o.startNetwork) {
      const identity = (networkIdentity = startNetworkIdentity({ nodeName: o.nodeName, dataDir: o.dataDir, nodeClient: () => client, config: certConfig(`portcullis-agent/${o.nodeName} (node-network)`), make, log: certLog, now, random: o.random, timers, pollMs: o.csrPollMs }));
      // Stopped after the network (undo runs backwards), which still uses its client until then.
      undo.push(() => identity.stop());
      const net = await o.startNetwork(identity.client);
      undo.push(() => net.stop());
      network = net.podNetwork;
      podFiles = net.podFiles;
      missingClusterDNS = net.missingClusterDNS;
    }
    let workers!: PodWorkers;
    const volumes = o.podVolumes
      ? new VolumeManager({ root: join(o.dataDir, 'pods'), client, hostIP: host.internalIP, allocatable: host.allocatable, onChange: (uid) => workers.update(uid), now, random: o.random, timers, log: o.log, node: () => nodes.get('', o.nodeName) ?? agentNodeObject(o.nodeName, host, registration) })
      : undefined;
    if (volumes) undo.push(() => volumes.stop());
    // Repeats counted, as the kubelet's correlator: a failing probe is one Event with a rising count.
    const recorder = newCountingEventRecorder({ client, component: 'kubelet', host: o.nodeName, now, suffix: eventSuffix(o.random ?? Math.random), log: o.log });
    const nodeRef = { metadata: { name: o.nodeName, uid: o.nodeName } };
    nodeEvent = (reason, message) => recorder.event(nodeRef, resources.nodes, 'Normal', reason, message);
    if (o.nodeAllocatable) {
      // enforceNodeAllocatableCgroups: the limits written until a write succeeds, with Node Events.
      const enforcement = startNodeAllocatableEnforcement({ nodeAllocatable: o.nodeAllocatable, timers, event: (type, reason, message) => recorder.event(nodeRef, resources.nodes, type, reason, message) });
      undo.push(() => enforcement.stop());
    }
    // Pods over an ephemeral-storage limit or an emptyDir's sizeLimit: judged here, killed by their worker.
    const managedFiles = new PodManagedFiles({ root: join(o.dataDir, 'pods'), clusterDomain: o.clusterDomain, log: o.log });
    const storageEviction = new LocalStorageEviction({
      pods: () => pods.list() as Pod[], runtime: o.runtime, volumePath: (uid, name) => volumes?.volumePath(uid, name), writableFiles: (uid) => managedFiles.writableFiles(uid), evict: (uid) => workers.update(uid), log: o.log,
    });
    // Under node pressure: for disk, unused images first; then one pod per pass (upstream's ranking).
    let imageGc: ImageGcManager | undefined;
    const pressureEviction = new NodePressureEviction({
      monitor: pressure, pods: () => pods.list() as Pod[], runtime: o.runtime, measure: (p, l, own) => storageEviction.measure(p, l, own), evict: (uid) => workers.update(uid), log: o.log, maxPodGracePeriodSeconds: o.evictionMaxPodGracePeriodSeconds,
      memoryVolumes: (p) => memoryVolumeBytes(p, (uid, name) => volumes?.emptyDirPath(uid, name)), now,
      // Upstream's reclaim for nodefs: DeleteAllUnusedContainers (finished pods' too), then DeleteUnusedImages.
      reclaim: async () => {
        for (const p of pods.list() as Pod[]) {
          await syncer.removeFinished(p).catch((err: unknown) => o.log.warn({ pod: `${p.metadata?.namespace}/${p.metadata?.name}`, err: (err as Error).message }, 'eviction manager: could not remove a finished pod\'s containers'));
        }
        await imageGc?.deleteUnusedImages();
      },
      warn: (reason, message) => recorder.event({ metadata: { name: o.nodeName, uid: o.nodeName } }, resources.nodes, 'Warning', reason, message),
    });
    const syncer = new PodSyncer({
      runtime: o.runtime, images: o.images, network, podFiles, missingClusterDNS, client, volumes, managedFiles,
      // In-place resize allocations kept across restarts (pod-resize.ts), as the kubelet's allocated_pods_state.
      allocations: new AllocationCheckpoint(join(o.dataDir, 'allocated_pods_state'), o.log),
      recorder, startConcurrency: o.startConcurrency, hostIP: host.internalIP, allocatable: host.allocatable, scheme: o.runtimeScheme, now, node: () => nodes.get('', o.nodeName) ?? agentNodeObject(o.nodeName, host, registration),
      fetchNode: () => client.get<K8sObject>(resources.nodes, '', o.nodeName),
      requeueAfter: (uid, ms) => workers.updateAfter(uid, ms), wake: (uid) => workers.update(uid), sysctls, timers, log: o.log, evictionVerdict: (uid) => storageEviction.verdict(uid), nodePressure: () => pressure.conditions, pressureVerdict: (uid) => pressureEviction.verdict(uid), pressureGrace: (uid) => pressureEviction.gracePeriod(uid), pods: () => pods.list() as Pod[], services: () => services.list() as Service[],
    });
    workers = new PodWorkers({
      timers, now, random: o.random, log: o.log,
      async sync(uid) {
        const pod = byUid(uid);
        if (pod && !pod.metadata?.deletionTimestamp) return syncer.sync(pod);
        if (pod) {
          await syncer.terminate(pod, true);
          return;
        }
        const last = removed.get(uid);
        if (!last && !pods.hasSynced()) return;
        // Gone from the API (or never ours: an orphan found in the runtime): stop and clean up.
        await syncer.terminate(last ?? (await orphanPod(o.runtime, uid)), false, last ? undefined : 2);
        removed.delete(uid);
        workers.forget(uid);
      },
    });
    pods.addEventHandler({
      add: (p) => workers.update(p.metadata.uid ?? ''),
      update: (_old, p) => workers.update(p.metadata.uid ?? ''),
      delete: (p) => {
        removed.set(p.metadata.uid ?? '', p as Pod);
        workers.update(p.metadata.uid ?? '');
      },
    });
    // What the runtime holds before any pod is synced: a restarted agent re-adopts it, never duplicates it.
    syncer.index.observe(await o.runtime.list());
    // The Services first, so the first containers get their variables (as the kubelet waits for its service informer).
    clusterInformers.start();
    nodeInformers.start();
    undo.push(() => nodeInformers.stop());
    undo.push(() => clusterInformers.stop());
    await Promise.race([Promise.all([services.synced(), nodes.synced()]), new Promise<void>((r) => timers.setTimeout(() => {
      if (!services.hasSynced()) o.log.warn({}, 'services not listed after 30 s: containers start without the Service variables until they are');
      r();
    }, 30_000))]).catch(() => {});
    informers.start();
    // Probes last (undo runs backwards): a sync still finishing may start probe workers.
    undo.push(() => syncer.probes.stop(), () => workers.stop(), () => informers.stop());

    // PLEG: wake the worker of each pod whose runtime state changed; adopt or clean what is there.
    const pleg = new Pleg();
    every(o.relistMs ?? 1_000, 'runtime relist', async () => {
      const state = await o.runtime.list();
      syncer.index.observe(state);
      // Before the first pod list an unknown uid may yet be a pod of ours: look again next time.
      pleg.relist(state, (uid) => !byUid(uid) && !pods.hasSynced(), (uid) => workers.update(uid));
    });
    every(o.resyncMs ?? 60_000, 'pod resync', async () => {
      for (const p of pods.list()) workers.update(p.metadata.uid ?? '');
      if (pods.hasSynced()) {
        // Pod directories and allocations no pod, runtime state or pending clean-up claims (an agent that died mid-way).
        const { sandboxes, containers } = await o.runtime.list();
        const live = new Set([...sandboxes.map((s) => s.pod.uid), ...containers.map((c) => c.pod.uid)]);
        const known = (uid: string) => live.has(uid) || removed.has(uid) || byUid(uid) !== undefined;
        syncer.retainAllocations(known);
        await volumes?.cleanupOrphans(known);
      }
    });
    every(o.evictionMonitoringMs ?? 10_000, 'eviction manager', async () => {
      await pressure.pass();
      // A pod over its own limit goes first; only when none did is node pressure acted on (as synchronize).
      if (pods.hasSynced() && !(await storageEviction.pass()).length) await pressureEviction.pass();
    });
    // Image GC over the file system of the agent's data directory (where the image store lives).
    if ('listImages' in o.images) {
      const nodeRef: K8sObject = { metadata: { name: o.nodeName, uid: o.nodeName } }; // the kubelet's nodeRef: UID = node name
      const gc = (imageGc = new ImageGcManager({
        images: o.images as ImageService & GcImageStore, runtime: o.runtime, policy: o.imageGcPolicy, now, log: o.log,
        fsStats: async () => {
          const st = await statfs(o.dataDir);
          return { capacityBytes: st.blocks * st.bsize, availableBytes: st.bavail * st.bsize };
        },
        warn: (reason, message) => recorder.event(nodeRef, resources.nodes, 'Warning', reason, message),
      }));
      await gc.detect();
      every(o.imageGcPeriodMs ?? 300_000, 'image garbage collection', async () => void (await gc.garbageCollect()));
    }

    return {
      nodeName: o.nodeName,
      client,
      syncer,
      workers,
      volumes,
      clientCert: () => clientCerts.current ?? cert,
      servingCert: () => servingCerts.current,
      networkCert: () => networkIdentity?.current(),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
