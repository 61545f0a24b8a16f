/**
 * kubectl 1.33 against a control plane with the controllers and the scheduler and one real node
 * agent (fake runtime): the node is listed Ready, a Deployment's pods are scheduled to it, run and
 * roll out, `kubectl describe pod` shows the kubelet's events, and deleting the Deployment
 * removes its pods through the agent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlSkip } from '../helpers/kubectl.ts';
import { kubectlSession, until } from '../helpers/kubectl-session.ts';
import { startAgentCluster, type AgentCluster } from './agent-helpers.ts';

const MINOR = 33;
const skip = kubectlSkip(MINOR);

describe('kubectl with a node agent', { skip }, () => {
  let ac: AgentCluster;
  const { kubectl, json } = kubectlSession(MINOR, () => ac.c.cp.kubeconfigPath);

  before(async () => {
    ac = await startAgentCluster(['deployment-controller', 'replicaset-controller'], { scheduler: true });
    await ac.start('node-k');
  });
  after(() => ac?.close());

  test('get nodes, a Deployment rolled out on the agent, describe shows the kubelet\'s events, delete cleans up', async () => {
    const nodes = await kubectl(['get', 'nodes']);
    assert.match(nodes.stdout, /^node-k\s+Ready\s+<none>\s+\S+\s+v1\.33\.0\+portcullis$/m);
    await kubectl(['create', 'deployment', 'web', '--image=example.test/web:1.0', '--replicas=2']);
    const r = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s'], undefined, 100_000);
    assert.match(r.stdout, /deployment "web" successfully rolled out/);
    const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.spec.nodeName, 'node-k');
      assert.equal(p.status.phase, 'Running');
      assert.match(p.status.containerStatuses[0].containerID, /^fake:\/\//);
    }
    const described = await until('the kubelet\'s events in describe', async () => {
      const d = await kubectl(['describe', 'pod', pods[0].metadata.name]);
      return /Started\s+\S+\s+kubelet\s+Started container web/.test(d.stdout) ? d.stdout : undefined;
    });
    assert.match(described, /Created\s+\S+\s+kubelet\s+Created container: web/);
    await kubectl(['delete', 'deployment', 'web', '--cascade=foreground', '--wait=true', '--timeout=90s'], undefined, 100_000);
    await until('the pods are gone', async () => ((await json(['get', 'pods', '-l', 'app=web'])).items.length === 0 ? true : undefined));
  });
});
