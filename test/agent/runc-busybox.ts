/**
 * A node's runtime for the runc agent tests: a busybox image built and imported into an image
 * store under `work`, a RuncRuntime beside it, an agent running pods with them (optionally with its
 * pod network in a network namespace), and the clean-up that leaves nothing running or mounted.
 * Needs root, runc and busybox-static: requireRunc (test/helpers/real-parts.ts) skips without
 * them, fails under PORTCULLIS_REQUIRE_ALL=1.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../../src/image-policy/oci/build.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import { ImageStore } from '../../src/cluster/agent/runtime/image-store.ts';
import { RuncRuntime, type RuncRuntimeOptions } from '../../src/cluster/agent/runtime/runc.ts';
import { removeEverything } from '../../src/cluster/agent/node-runtime.ts';
import { unmountAll } from '../../src/cluster/agent/volumes/mounts.ts';
import type { Agent, AgentOptions } from '../../src/cluster/agent/agent.ts';
import { SharedInformerFactory } from '../../src/cluster/client/informer.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { nodeCommandRunner } from '../../src/cluster/agent/network/ip-command.ts';
import { startNodeNetwork } from '../../src/cluster/agent/network/node-network.ts';
import { writeSandboxFile } from '../../src/cluster/agent/pod-managed-files.ts';
import { eventually, HOST, quietLog, startAgentCluster, type AgentCluster } from './agent-helpers.ts';

/** The busybox image's reference in the store. */
export const BUSYBOX_IMAGE = 'portcullis.local/bb:v1';

export async function busyboxOnRunc(work: string, runtime: Partial<RuncRuntimeOptions> = {}): Promise<{ images: ImageStore; rt: RuncRuntime }> {
  const ctx = await busyboxRootfs(join(work, 'ctx'));
  await buildImage({ contextDir: ctx.rootfs, outputDir: join(work, 'bb.oci'), refName: 'v1', cmd: ['sh'], env: ['PATH=/bin'] });
  const images = new ImageStore({ root: join(work, 'runtime') });
  await images.importLayout(join(work, 'bb.oci'), BUSYBOX_IMAGE);
  return { images, rt: new RuncRuntime({ ...runtime, stateRoot: join(work, 'runtime') }) };
}

/** Every container and sandbox removed, then the pods' volumes a failed test left mounted, so `work` can go. */
export async function removeRuncNode(rt: RuncRuntime | undefined, work: string): Promise<void> {
  if (!rt) return;
  await removeEverything(rt);
  rt.close();
  await unmountAll(join(work, 'pods'));
}

export interface RuncNode {
  name: string;
  work: string;
  images: ImageStore;
  rt: RuncRuntime;
  agent: Agent;
  /** The node's own pods' cgroup parent (ownCgroupParent), removed by stopRuncAgent. */
  cgroupParent?: string;
}

/**
 * Removes an emptied cgroup parent of this process's (relative, as runc places containers on
 * cgroup v1) from every hierarchy runc made it in; on v2 the absolute /<parent>.
 */
export function removeCgroupParent(parent: string, mountRoot = '/sys/fs/cgroup'): void {
  const dirs = new Set<string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === '') {
      // v2 alone, or v2's hierarchy beside v1's (hybrid: mounted at unified/), where runc makes it too.
      dirs.add(join(mountRoot, parent));
      dirs.add(join(mountRoot, 'unified', path, parent));
    } else dirs.add(join(mountRoot, controllers!.replace(/^name=/, ''), path, parent));
  }
  // The QoS tiers (burstable/, besteffort/) and any pod cgroup left below it go first, deepest first.
  const removeTree = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(d, e.name));
    rmdirSync(d);
  };
  for (const d of dirs) {
    try {
      if (existsSync(d)) removeTree(d);
    } catch {
      // still in use (a container left behind) or not ours: the test's own clean-up reports those
    }
  }
}

export interface RuncAgentOptions {
  /** Agent options beyond the runtime, image store and data directory; a function when they need the runtime (a streaming endpoint). */
  agent?: Partial<AgentOptions> | ((node: { work: string; images: ImageStore; rt: RuncRuntime }) => Partial<AgentOptions>);
  /** Runtime options beyond its state directory (a cgroup parent of the test's own). */
  runtime?: Partial<RuncRuntimeOptions>;
  /**
   * The node's pods under a cgroup parent of their own rather than the shared default: a test that
   * measures the pods' cgroup (allocatableMemory.available) must not see other test files' pods,
   * which run beside it under the same parent when the suite runs files concurrently.
   */
  ownCgroupParent?: boolean;
  /** The node's pod network run in this network namespace; `podCIDR` is set on the Node once it registers (the node IPAM controller's part). */
  network?: { netns: string; podCIDR: string };
}

/** An agent for node `name` running pods under runc with the busybox image, its data under `<ac.dir>/<name>`. */
export async function startRuncAgent(ac: AgentCluster, name: string, o: RuncAgentOptions = {}): Promise<RuncNode> {
  const work = join(ac.dir, name);
  const cgroupParent = o.ownCgroupParent ? `portcullis-test-${name}-${process.pid}` : undefined;
  const { images, rt } = await busyboxOnRunc(work, { ...(cgroupParent ? { cgroupParent } : {}), ...o.runtime });
  const extra = typeof o.agent === 'function' ? o.agent({ work, images, rt }) : (o.agent ?? {});
  const opts: Partial<AgentOptions> = { dataDir: work, runtime: rt, images, runtimeScheme: 'runc', ...extra };
  if (o.network) {
    const { netns, podCIDR } = o.network;
    void eventually(async () => {
      const node = await ac.admin.get<K8sObject>(resources.nodes, '', name).catch(() => undefined);
      if (!node) return false;
      await ac.admin.patch(resources.nodes, '', name, 'merge', { spec: { podCIDR, podCIDRs: [podCIDR] } });
      return true;
    }, `${name} registered`, 400, 100);
    opts.startNetwork = async (identity) => {
      const client = await identity;
      const net = await startNodeNetwork({ factory: new SharedInformerFactory({ client, log: quietLog }), nodeName: name, run: nodeCommandRunner(netns), stateDir: join(work, 'network'), clusterCIDR: '10.244.0.0/16', adminPolicies: false, dnsAddress: '', clusterDNS: ['10.96.0.10'], log: quietLog });
      // As nodeNetworkStarter does: the pod's resolv.conf for its dnsPolicy, in its directory (a cluster DNS address, no server: without one ClusterFirst would be Default).
      return { podNetwork: net.podNetwork, stop: () => net.stop(), missingClusterDNS: (p) => net.missingClusterDNS(p), podFiles: async (p) => ({ '/etc/resolv.conf': await writeSandboxFile(join(work, 'pods'), p.metadata?.uid ?? '', 'resolv.conf', net.resolvConf(p)) }) };
    };
  }
  try {
    const { agent } = await ac.start(name, opts);
    return { name, work, images, rt, agent, ...(cgroupParent ? { cgroupParent } : {}) };
  } catch (err) {
    await removeRuncNode(rt, work);
    if (cgroupParent) removeCgroupParent(cgroupParent);
    throw err;
  }
}

/**
 * The agent stopped first (it would restart what is being removed), then everything it ran; then
 * the cluster `ac`, if given, whatever happened before.
 */
export async function stopRuncAgent(node: RuncNode | undefined, ac?: AgentCluster): Promise<void> {
  try {
    if (!node) return;
    await node.agent.stop();
    await removeRuncNode(node.rt, node.work);
    if (node.cgroupParent) removeCgroupParent(node.cgroupParent);
  } finally {
    await ac?.close();
  }
}

/**
 * The memory pressure tests' node: a cluster with the node lifecycle controller and one runc node
 * reporting 250Mi of memory (150Mi allocatable, so allocatableMemory.available is its pods' cgroup
 * against 250Mi, threshold 100Mi), its pods under a cgroup parent of their own, the eviction
 * manager and node status every 300 ms rather than the kubelet's 10 s.
 */
export async function startSmallMemoryNode(name: string, agent: Partial<AgentOptions> = {}): Promise<{ ac: AgentCluster; node: RuncNode }> {
  const ac = await startAgentCluster(['node-lifecycle-controller']);
  try {
    const node = await startRuncAgent(ac, name, {
      ownCgroupParent: true,
      agent: {
        host: { ...HOST, capacity: { ...HOST.capacity, memory: '250Mi' }, allocatable: { ...HOST.allocatable, memory: '150Mi' } },
        evictionMonitoringMs: 300, statusUpdateMs: 300,
        ...agent,
      },
    });
    return { ac, node };
  } catch (err) {
    await ac.close();
    throw err;
  }
}
