/**
 * The node agent `portcullis up` runs beside its control plane (as k3s runs its agent): it joins
 * like any other node, by bootstrap token, and acts only as system:node:<host>. The token (and
 * the join bindings) are made through the API as the admin only when the agent has no valid
 * client certificate yet, and its bootstrap kubeconfig is kept at <data-dir>/agent/bootstrap.kubeconfig
 * (0600), so more agents can join with it while the token lives (24 h). Its kubelet-serving certificate
 * requests are approved by `up` (local-serving-approver.ts), so logs and exec work at once. A host that cannot run
 * pods (no root, no runc, no busybox) gets no local node, and `up` says so and why.
 */
import { join, resolve } from 'node:path';
import { renderKubeconfig, writeKubeconfig } from '../../pki/kubeconfig.ts';
import { RestClient } from '../client/rest-client.ts';
import type { ClientIdentity } from '../client/types.ts';
import { startAgent, type AgentOptions, type Agent, type AgentLog } from './agent.ts';
import { localNodeName, readHostInfo } from './host-info.ts';
import { createJoinToken } from './join-token.ts';
import { loadCert } from './node-certificates.ts';
import { missingForRunc, openRuncNodeRuntime } from './node-runtime.ts';
import { nodeAllocatableOption } from './runtime/pods-cgroup-limits.ts';
import { DEFAULT_CGROUP_PARENT } from './runtime/runc.ts';
import { KUBELET_PORT } from './node-status.ts';
import { StreamingEndpoint } from './server/streaming-endpoint.ts';
import { imagesUsage } from './server/stats-summary.ts';
import { startLocalServingApprover } from './local-serving-approver.ts';

export interface LocalAgentOptions {
  /** The control plane's data directory; the agent keeps its own under agent/. */
  dataDir: string;
  /** Loopback URL of the API server. */
  server: string;
  admin: ClientIdentity;
  bootstrapTokenAuth: boolean;
  log: AgentLog;
  /** The node's pod network (portcullis up --pod-network); none: pods off the host network get no address. */
  startNetwork?: AgentOptions['startNetwork'];
  /** Approve the local agent's own kubelet-serving requests (default true; see local-serving-approver.ts). */
  approveServingCertificate?: boolean;
}

export type LocalAgent = { kind: 'starting'; nodeName: string; stop(): Promise<void> } | { kind: 'none'; reason: string };

export { localNodeName };

export function startLocalAgent(o: LocalAgentOptions): LocalAgent {
  const missing = missingForRunc();
  if (missing.length) return { kind: 'none', reason: `missing ${missing.join('; ')}` };
  if (!o.bootstrapTokenAuth) return { kind: 'none', reason: 'bootstrap token authentication is off (--enable-bootstrap-token-auth=false), so no agent can join' };
  const nodeName = localNodeName();
  // Absolute, as the agent's own (2a35d51): the image store's overlay lower dirs and bind-mount sources must not depend on the cwd.
  const dataDir = resolve(o.dataDir, 'agent');
  let agent: Agent | undefined;
  let closeRuntime = () => {};
  let closeEndpoint = async () => {};
  let stopApprover = async () => {};
  let stopped = false;
  const abort = new AbortController();
  const started = (async () => {
    let token = '';
    if (!loadCert(dataDir, 'client', new Date())) {
      const admin = new RestClient({ server: o.server, identity: o.admin, userAgent: 'portcullis-up' });
      try {
        token = await createJoinToken(admin, { now: Date.now, description: 'node join token of portcullis up (its local agent)' });
      } finally {
        admin.close();
      }
      writeKubeconfig(join(dataDir, 'bootstrap.kubeconfig'), renderKubeconfig({ server: o.server, caCertPem: o.admin.caPem, token, userName: 'kubelet-bootstrap' }));
    }
    const host = readHostInfo({ dataDir, runtimeVersion: '' });
    const memory = Number(/^(\d+)Ki$/.exec(host.capacity.memory ?? '')?.[1] ?? 0) * 1024;
    if (o.approveServingCertificate !== false) {
      const admin = new RestClient({ server: o.server, identity: o.admin, userAgent: 'portcullis-up' });
      const approver = startLocalServingApprover({ admin, local: { nodeName, dnsNames: [host.hostname, nodeName], ipAddresses: [host.internalIP] }, log: o.log });
      stopApprover = async () => {
        await approver.stop();
        admin.close();
      };
    }
    const rt = openRuncNodeRuntime({ dataDir, memoryCapacity: memory || undefined });
    closeRuntime = rt.close;
    // logs, exec and port-forward for the API server, on the Node's address once a serving certificate is approved.
    let joined: Agent | undefined;
    const endpoint = new StreamingEndpoint({ nodeName, runtime: rt.runtime, clientCaPem: o.admin.caPem, client: () => joined!.client, address: host.internalIP, port: KUBELET_PORT, log: o.log,
      probeMetrics: async () => (await joined?.syncer.probes.metrics.text()) ?? '', dataDir, imagesUsage: imagesUsage(rt.images),
      // Until the agent runs, every path counts as in use: no local-path directory is removed.
      volumePathInUse: (path) => joined?.volumes?.usesPath(path) ?? true,
      claimVolumes: (uid) => joined?.volumes?.claimVolumes(uid) ?? [] });
    closeEndpoint = () => endpoint.close();
    const a = await startAgent({
      nodeName, dataDir, bootstrap: { server: o.server, identity: { caPem: o.admin.caPem, token }, userAgent: 'portcullis-agent' },
      runtime: rt.runtime, images: rt.images, runtimeScheme: rt.scheme, runtimeVersion: rt.version,
      host: { ...host, nodeInfo: { ...host.nodeInfo, containerRuntimeVersion: rt.version } }, log: o.log, signal: abort.signal,
      onServingCertificate: (c) => endpoint.setCertificate(c),
      // Pods' volumes under <data-dir>/pods (runc runs as root).
      podVolumes: true,
      startNetwork: o.startNetwork,
      // The kubelet's default --enforce-node-allocatable=pods, with nothing reserved: the pods' cgroup limited to capacity.
      nodeAllocatable: await nodeAllocatableOption({ capacity: host.capacity, parent: DEFAULT_CGROUP_PARENT }),
    });
    joined = a;
    if (stopped) await a.stop();
    else agent = a;
  })().catch((err) => {
    closeRuntime();
    void stopApprover();
    if (!stopped) o.log.error({ err: (err as Error).message, node: nodeName }, 'the local node agent failed to start');
  });
  return {
    kind: 'starting',
    nodeName,
    async stop() {
      stopped = true;
      abort.abort();
      await started;
      await stopApprover();
      await agent?.stop();
      await closeEndpoint();
      closeRuntime();
    },
  };
}
