/**
 * `portcullis agent --node NAME --kubeconfig BOOTSTRAP.kubeconfig --data-dir DIR`: a node agent as
 * its own process. The kubeconfig names the server, its CA and the bootstrap identity (a
 * bootstrap token; `portcullis up` writes one to <data-dir>/agent/bootstrap.kubeconfig); once the
 * node has its certificate in DIR/pki the token is no longer used. Runs pods with runc, so it
 * needs root, runc and busybox-static; it refuses to start without them, saying what is missing.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { ApiClient, ClientConfig } from '../cluster/client/types.ts';
import { startAgent, type Agent } from '../cluster/agent/agent.ts';
import { KUBELET_PORT } from '../cluster/agent/node-status.ts';
import { StreamingEndpoint } from '../cluster/agent/server/streaming-endpoint.ts';
import { imagesUsage } from '../cluster/agent/server/stats-summary.ts';
import { localNodeName, readHostInfo } from '../cluster/agent/host-info.ts';
import { openRuncNodeRuntime } from '../cluster/agent/node-runtime.ts';
import { IMAGE_FLAGS, imageFlagOptions } from '../cluster/agent/runtime/image-options.ts';
import { boolFlag, commaList, durationFlag, flag, int32Flag, parseCommand } from './args.ts';
import { DEFAULT_IMAGE_GC_POLICY, imageGcPolicyError } from '../cluster/agent/image-gc.ts';
import { DEFAULT_EVICTION_HARD, evictionHardFlag, mapFlag, parseThresholdConfig } from '../cluster/agent/eviction/thresholds.ts';
import { SysctlAllowlist } from '../cluster/agent/runtime/sysctl-allowlist.ts';
import { parseEnforcement, parseReserved } from '../cluster/agent/runtime/node-allocatable.ts';
import { nodeAllocatableOption } from '../cluster/agent/runtime/pods-cgroup-limits.ts';
import { DEFAULT_CGROUP_PARENT } from '../cluster/agent/runtime/runc.ts';
import { clientConfigFromKubeconfig, kubeconfigFlag, untilStopped } from './component-client.ts';
import { clusterDnsList, nodeRegistration, parseNodeLabels, parseRegisterWithTaints, podPidsLimit } from '../cluster/agent/kubelet-flags.ts';
import { DEFAULT_CLUSTER_DOMAIN } from '../cluster/agent/etc-hosts.ts';
import { parseKubeletConfig, withKubeletConfig, type KubeletConfigFile } from '../cluster/agent/kubelet-config.ts';
import { agentTimers } from './agent-timers.ts';

export async function runAgent(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => ApiClient, stopSignal?: Promise<void>): Promise<number> {
  const commandLine = parseCommand(argv, { name: 'agent', flags: ['config', 'node', 'kubeconfig', 'data-dir', 'node-ip', 'max-pods', 'log-level', 'cluster-cidr', 'cluster-dns-address', 'image-gc-high-threshold', 'image-gc-low-threshold', 'minimum-image-ttl-duration', 'eviction-hard', 'eviction-soft', 'eviction-soft-grace-period', 'eviction-minimum-reclaim', 'eviction-pressure-transition-period', 'allowed-unsafe-sysctls', 'eviction-max-pod-grace-period', 'system-reserved', 'kube-reserved', 'enforce-node-allocatable', 'node-labels', 'register-with-taints', 'cluster-domain', 'cluster-dns', 'pod-max-pids', 'sync-frequency', 'node-status-update-frequency', ...IMAGE_FLAGS], booleans: ['pod-network'] });
  // --config: a KubeletConfiguration whose fields stand for the flags; a flag on the command line wins.
  const configFile = flag(commandLine, 'config', '') ? loadKubeletConfig(flag(commandLine, 'config', '')) : undefined;
  const args = configFile ? { ...commandLine, flags: withKubeletConfig(commandLine.flags, configFile) } : commandLine;
  const nodeName = flag(args, 'node', '') || localNodeName();
  const dataDir = flag(args, 'data-dir', './.portcullis-agent');
  const maxPods = Number(flag(args, 'max-pods', '110'));
  if (!Number.isInteger(maxPods) || maxPods < 1) throw new Error(`invalid --max-pods: ${flag(args, 'max-pods', '')}`);
  // Image garbage collection as the kubelet's flags say (85 / 80 / 2m by default), checked before joining.
  const imageGcPolicy = {
    highThresholdPercent: Number(flag(args, 'image-gc-high-threshold', String(DEFAULT_IMAGE_GC_POLICY.highThresholdPercent))),
    lowThresholdPercent: Number(flag(args, 'image-gc-low-threshold', String(DEFAULT_IMAGE_GC_POLICY.lowThresholdPercent))),
    minAgeMs: durationFlag(args, 'minimum-image-ttl-duration', '2m'),
  };
  const gcError = imageGcPolicyError(imageGcPolicy);
  if (gcError) throw new Error(gcError);
  // Image limits and KEP-2535's pull-credential verification policy, checked before joining.
  const imageOptions = imageFlagOptions(args);
  // Node-pressure thresholds (the kubelet's --eviction-hard replaces the defaults; soft ones need a grace period each), checked before joining.
  const evictionHard = flag(args, 'eviction-hard', '') ? evictionHardFlag(flag(args, 'eviction-hard', '')) : DEFAULT_EVICTION_HARD;
  const evictionSoft = mapFlag('eviction-soft', flag(args, 'eviction-soft', ''), '<');
  const evictionSoftGracePeriod = mapFlag('eviction-soft-grace-period', flag(args, 'eviction-soft-grace-period', ''), '=');
  const evictionMinimumReclaim = mapFlag('eviction-minimum-reclaim', flag(args, 'eviction-minimum-reclaim', ''), '=');
  const evictionError = parseThresholdConfig({ hard: evictionHard, soft: evictionSoft, softGracePeriod: evictionSoftGracePeriod, minimumReclaim: evictionMinimumReclaim }).error;
  if (evictionError) throw new Error(`invalid eviction thresholds (--eviction-hard, --eviction-soft, --eviction-soft-grace-period, --eviction-minimum-reclaim): ${evictionError}`);
  const evictionPressureTransitionMs = durationFlag(args, 'eviction-pressure-transition-period', '5m');
  const evictionMaxPodGracePeriodSeconds = int32Flag(args, 'eviction-max-pod-grace-period', 0);
  // Unsafe sysctls pods may set, checked before joining: each must be namespaced (the kubelet's NewAllowlist).
  const allowedUnsafeSysctls = commaList(args, 'allowed-unsafe-sysctls');
  SysctlAllowlist.withUnsafe(allowedUnsafeSysctls);
  // Node allocatable: reservations and what the pods' cgroup is limited to (default "pods"), checked before joining.
  const systemReserved = parseReserved('system-reserved', flag(args, 'system-reserved', ''));
  const kubeReserved = parseReserved('kube-reserved', flag(args, 'kube-reserved', ''));
  const enforcement = parseEnforcement(args.flags.has('enforce-node-allocatable') ? commaList(args, 'enforce-node-allocatable') : ['pods']);
  // The Node's labels and taints, checked before joining as the kubelet checks them (startAgent checks again).
  const nodeLabels = parseNodeLabels(args.flags.get('node-labels') ?? []);
  const registerWithTaints = args.flags.has('register-with-taints') || !configFile?.registerWithTaints ? parseRegisterWithTaints(args.flags.get('register-with-taints') ?? []) : configFile.registerWithTaints;
  nodeRegistration({ nodeLabels, registerWithTaints });
  const pidsLimit = podPidsLimit(int32Flag(args, 'pod-max-pids', -1));
  // Pod resync, node status and Lease periods (--sync-frequency, --node-status-update-frequency, the file's fields), checked before joining.
  const timers = agentTimers(args);
  const bootstrap = clientConfigFromKubeconfig(kubeconfigFlag(args));
  const log = pino({ level: flag(args, 'log-level', 'info') });
  // --cluster-dns (the kubelet's list) wins over the older --cluster-dns-address; the node's DNS server listens on the first address.
  const clusterDomain = flag(args, 'cluster-domain', DEFAULT_CLUSTER_DOMAIN);
  const clusterDNS = args.flags.has('cluster-dns') ? clusterDnsList(args.flags.get('cluster-dns')!, (o, m) => log.warn(o, m)) : undefined;
  const dnsAddress = clusterDNS ? (clusterDNS[0] ?? '') : flag(args, 'cluster-dns-address', '169.254.20.10');
  const nodeIP = flag(args, 'node-ip', '') || undefined;
  const host = readHostInfo({ dataDir, nodeIP, maxPods, runtimeVersion: '', systemReserved, kubeReserved, evictionHard });
  const nodeAllocatable = await nodeAllocatableOption({ capacity: host.capacity, systemReserved, kubeReserved, enforcement, parent: DEFAULT_CGROUP_PARENT });
  const memory = Number(/^(\d+)Ki$/.exec(host.capacity.memory ?? '')?.[1] ?? 0) * 1024;
  const rt = openRuncNodeRuntime({ dataDir, memoryCapacity: memory || undefined, images: imageOptions, pidsLimit });
  const abort = new AbortController();
  const stop = untilStopped(stopSignal);
  void stop.then(() => abort.abort());
  // The client's timers are unref'd and the agent serves nothing yet: this keeps the process up until told to stop.
  const keepAlive = setInterval(() => {}, 1 << 30);
  // logs, exec and port-forward for the API server, on the Node's address once a serving certificate is approved.
  let joined: Agent | undefined;
  const endpoint = new StreamingEndpoint({ nodeName, runtime: rt.runtime, clientCaPem: bootstrap.identity.caPem, client: () => joined!.client, address: host.internalIP, port: KUBELET_PORT, log,
    probeMetrics: async () => (await joined?.syncer.probes.metrics.text()) ?? '', dataDir, imagesUsage: imagesUsage(rt.images),
    // Until the agent runs, every path counts as in use: no local-path directory is removed.
    volumePathInUse: (path) => joined?.volumes?.usesPath(path) ?? true,
    claimVolumes: (uid) => joined?.volumes?.claimVolumes(uid) ?? [] });
  try {
    const agent = await startAgent({
      nodeName, dataDir, bootstrap, makeClient, runtime: rt.runtime, images: rt.images, runtimeScheme: rt.scheme, runtimeVersion: rt.version,
      host: { ...host, nodeInfo: { ...host.nodeInfo, containerRuntimeVersion: rt.version } }, log, signal: abort.signal,
      onServingCertificate: (c) => endpoint.setCertificate(c),
      nodeAllocatable, ...timers,
      imageGcPolicy, evictionHard, evictionSoft, evictionSoftGracePeriod, evictionMinimumReclaim, evictionPressureTransitionMs, evictionMaxPodGracePeriodSeconds, allowedUnsafeSysctls, nodeLabels, registerWithTaints, clusterDomain,
      // Pods' volumes under <data-dir>/pods (runc runs as root).
      podVolumes: true,
      // The node's pod network: addresses, NetworkPolicy, Services and DNS (--pod-network=false: none,
      // and its modules are not loaded: bin/agent-process.mjs AGENT_MODULES).
      startNetwork: boolFlag(args, 'pod-network', true)
        ? async (client) => (await import('../cluster/agent/network/node-network.ts')).nodeNetworkStarter({ nodeName, dataDir, clusterCIDR: flag(args, 'cluster-cidr', '10.244.0.0/16'), dnsAddress, clusterDNS, clusterDomain, log })(client)
        : undefined,
    });
    joined = agent;
    out(`node ${nodeName} joined ${bootstrap.server} (data in ${dataDir})\n`);
    await stop;
    await agent.stop();
  } finally {
    await endpoint.close();
    clearInterval(keepAlive);
    rt.close();
  }
  return 0;
}

/** Reads --config's file, with the kubelet's wrapping of its errors. */
function loadKubeletConfig(path: string): KubeletConfigFile {
  try {
    return parseKubeletConfig(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`failed to load kubelet config file, path: ${path}, error: ${(err as Error).message}`);
  }
}
