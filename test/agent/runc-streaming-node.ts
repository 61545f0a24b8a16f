/**
 * A runc node whose agent serves its streaming endpoint (logs, exec, attach, port-forward) at
 * `address`, its serving certificate approved, and an admin kubeconfig for kubectl: what the tests
 * that drive kubectl into real containers through the API server share.
 */
import { KUBELET_PORT } from '../../src/cluster/agent/node-status.ts';
import { StreamingEndpoint } from '../../src/cluster/agent/server/streaming-endpoint.ts';
import { adminKubeconfig, approveServing, HOST, quietLog, startAgentCluster, type AgentCluster } from './agent-helpers.ts';
import { startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

export interface StreamingRuncNode {
  ac: AgentCluster;
  node: RuncNode;
  endpoint: StreamingEndpoint;
  kubeconfig: string;
}

export async function startStreamingRuncNode(nodeName: string, address: string): Promise<StreamingRuncNode> {
  const ac = await startAgentCluster();
  let endpoint: StreamingEndpoint | undefined;
  const node: RuncNode = await startRuncAgent(ac, nodeName, {
    agent: ({ rt }) => {
      const e = new StreamingEndpoint({ nodeName, runtime: rt, clientCaPem: ac.c.cp.pki.caCertPem, client: () => node.agent.client, address, port: KUBELET_PORT, log: quietLog });
      endpoint = e;
      return { host: { ...HOST, internalIP: address }, onServingCertificate: (c) => e.setCertificate(c) };
    },
  });
  await approveServing(ac, endpoint!);
  return { ac, node, endpoint: endpoint!, kubeconfig: adminKubeconfig(ac) };
}

export async function stopStreamingRuncNode(s: Partial<StreamingRuncNode>): Promise<void> {
  await s.endpoint?.close();
  await stopRuncAgent(s.node, s.ac);
}
