/**
 * kubectl logs, exec, attach, cp and port-forward into a real runc container through the API
 * server and a joined agent's endpoint: `id -u` is the pod's runAsUser, the exit code comes back,
 * stdin reaches the process (exec, and attach to the container's own process), cp goes through
 * exec and busybox tar, and port-forward enters the pod's network namespace (nsenter + busybox nc).
 * Needs root, runc, nsenter and busybox-static: skipped without them, failed under
 * PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { StreamingEndpoint } from '../../src/cluster/agent/server/streaming-endpoint.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireBinaries, requireRunc } from '../helpers/real-parts.ts';
import { kubectlSkip, runKubectl, startPortForward } from '../helpers/kubectl.ts';
import { eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, type RuncNode } from './runc-busybox.ts';
import { startStreamingRuncNode, stopStreamingRuncNode } from './runc-streaming-node.ts';

const skip = requireRunc('exec into runc containers') || requireBinaries('util-linux', 'nsenter') || kubectlSkip(33);
const ADDRESS = '127.0.0.3';

describe('kubectl logs, exec and port-forward into runc containers', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;
  let endpoint: StreamingEndpoint;
  let kubeconfig: string;

  before(async () => {
    ({ ac, node, endpoint, kubeconfig } = await startStreamingRuncNode('node-x', ADDRESS));
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'box' },
      spec: {
        nodeName: 'node-x', terminationGracePeriodSeconds: 1, securityContext: { runAsUser: 1234, runAsGroup: 1234 },
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo started; exec httpd -f -p 127.0.0.1:8080 -h /'] }],
      },
    });
    await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'box')).status?.phase === 'Running', 'the pod is Running', 400, 100);
  });

  after(() => stopStreamingRuncNode({ ac, node, endpoint }));

  test('logs and exec: id -u is runAsUser, the exit code comes back, stdin reaches the process', async () => {
    const logs = await eventually(async () => {
      const r = await runKubectl(33, kubeconfig, ['logs', 'box']);
      return r.stdout === 'started\n' && r;
    }, 'kubectl logs shows the output', 30, 200);
    assert.equal(logs.code, 0);
    let r = await runKubectl(33, kubeconfig, ['exec', 'box', '--', 'id', '-u']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1234\n');
    r = await runKubectl(33, kubeconfig, ['exec', 'box', '--', 'sh', '-c', 'echo oops >&2; exit 7']);
    assert.equal(r.code, 7);
    assert.match(r.stderr, /^oops\ncommand terminated with exit code 7\n$/);
    r = await runKubectl(33, kubeconfig, ['exec', '-i', 'box', '--', 'wc', '-c'], 'twelve bytes');
    assert.equal(r.stdout.trim(), '12');
    r = await runKubectl(29, kubeconfig, ['exec', 'box', '--', 'id', '-u']);
    assert.equal(r.stdout, '1234\n', 'kubectl 1.29 over SPDY');
  });

  test('port-forward reaches a server bound to the pod\'s loopback', async () => {
    const { child, local: forwarded } = startPortForward(33, kubeconfig, 'pod/box', 8080);
    try {
      const local = await forwarded;
      const body = await new Promise<string>((resolve, reject) => {
        const c = connect(local, '127.0.0.1', () => c.write('HEAD /bin/busybox HTTP/1.0\r\n\r\n'));
        let text = '';
        c.on('data', (d: Buffer) => (text += d.toString()));
        c.on('end', () => resolve(text));
        c.on('error', reject);
      });
      assert.match(body, /^HTTP\/1\.[01] 200 OK\r\n/);
    } finally {
      child.kill();
    }
  });

  test('attach: stdin reaches the container\'s own process and its output comes back, over WebSocket and SPDY', async () => {
    for (const [name, minor] of [['talker', 33], ['talker-spdy', 29]] as const) {
      await ac.admin.create(resources.pods, 'default', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: {
          nodeName: 'node-x', restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', stdin: true, command: ['sh', '-c', 'read line; echo "got $line"; echo "done" >&2'] }],
        },
      });
      await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', name)).status?.phase === 'Running', `${name} is Running`, 400, 100);
      const r = await runKubectl(minor, kubeconfig, ['attach', '-i', name, '-c', 'c'], 'hello\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'got hello\n', `kubectl 1.${minor}`);
      assert.match(r.stderr, /done\n/);
      await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', name)).status?.phase === 'Succeeded', `${name} Succeeded`, 400, 100);
      await ac.admin.delete(resources.pods, 'default', name, { gracePeriodSeconds: 0 });
    }
  });

  // The pod runs as 1234: /dev/shm (the pod's tmpfs, 1777) is where it may write.
  test('kubectl cp works both ways through exec and busybox tar', async () => {
    const local = join(ac.dir, 'cp-in.txt');
    writeFileSync(local, 'copied through tar\n');
    let r = await runKubectl(33, kubeconfig, ['cp', local, 'box:/dev/shm/cp.txt']);
    assert.equal(r.code, 0, r.stderr);
    r = await runKubectl(33, kubeconfig, ['exec', 'box', '--', 'cat', '/dev/shm/cp.txt']);
    assert.equal(r.stdout, 'copied through tar\n');
    const back = join(ac.dir, 'cp-out.txt');
    r = await runKubectl(33, kubeconfig, ['cp', 'box:/dev/shm/cp.txt', back]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(back, 'utf8'), 'copied through tar\n');
  });
});
