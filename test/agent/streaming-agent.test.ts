/**
 * The streaming endpoint as a joined agent runs it: nothing listens until the kubelet-serving
 * certificate is approved by hand; then kubectl exec reaches the pod through the API server, the
 * Node's InternalIP and port 10250, the agent's own SubjectAccessReview (as system:node:<name>)
 * and the fake runtime.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { Agent } from '../../src/cluster/agent/agent.ts';
import { FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import type { ExecOptions, ExecResult } from '../../src/cluster/agent/runtime/types.ts';
import { KUBELET_PORT } from '../../src/cluster/agent/node-status.ts';
import { StreamingEndpoint } from '../../src/cluster/agent/server/streaming-endpoint.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { adminKubeconfig, approveServing, eventually, HOST, quietLog, startAgentCluster, type AgentCluster } from './agent-helpers.ts';

const ADDRESS = '127.0.0.2';

const skip = kubectlSkip(33);
let ac: AgentCluster;
let agent: Agent;
let runtime: CountingRuntime;

class CountingRuntime extends FakeRuntime {
  execs: string[][] = [];
  override async exec(id: string, o: ExecOptions): Promise<ExecResult> {
    this.execs.push([...o.argv]);
    return super.exec(id, o);
  }
}
let endpoint: StreamingEndpoint;

before(async () => {
  if (skip) return;
  ac = await startAgentCluster();
  let started: Agent | undefined;
  runtime = new CountingRuntime();
  // Its own loopback address: another test's agent may serve on 127.0.0.1:10250 at the same time.
  endpoint = new StreamingEndpoint({ nodeName: 'node-s', runtime, clientCaPem: ac.c.cp.pki.caCertPem, client: () => started!.client, address: ADDRESS, port: KUBELET_PORT, log: quietLog });
  ({ agent } = await ac.start('node-s', { runtime, host: { ...HOST, internalIP: ADDRESS }, onServingCertificate: (c) => endpoint.setCertificate(c) }));
  started = agent;
});
after(async () => {
  await endpoint?.close();
  await ac?.close();
});

test('kubectl exec through a joined agent once its serving certificate is approved', { skip }, async () => {
  assert.equal(endpoint.port, undefined, 'nothing listens without a serving certificate');
  await approveServing(ac, endpoint);
  await ac.admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'node-s', containers: [{ name: 'c', image: 'busybox' }] } });
  await eventually(async () => (await runtime.list()).containers.some((c) => c.pod.name === 'p' && c.state === 'running'), 'the container runs');
  const r = await runKubectl(33, adminKubeconfig(ac), ['exec', 'p', '--', 'true']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(runtime.execs, [['true']], 'the exec ran in the pod\'s container');
});
