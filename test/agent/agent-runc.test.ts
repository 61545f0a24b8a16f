/**
 * The agent end to end on the real runtime: runc (Debian), a busybox image imported into the
 * node's image store. A pod bound to the node runs; its log shows its output with the env the
 * agent resolved through the API ($(VAR) expanded by the runtime); deleting it stops the
 * container within the grace period and the agent removes the pod. Needs root, runc and
 * busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resources } from '../../src/cluster/client/resources.ts';
import { isNotFound } from '../../src/cluster/client/errors.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('the agent on runc');

describe('node agent on runc', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;

  before(async () => {
    ac = await startAgentCluster();
    node = await startRuncAgent(ac, 'node-runc');
  });

  after(() => stopRuncAgent(node, ac));

  test('a pod runs under runc, its log shows its output, and a delete stops it within the grace period', async () => {
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello' },
      spec: {
        nodeName: 'node-runc', terminationGracePeriodSeconds: 30,
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo hello from $(POD_NAME) on $(NODE); exec sleep 3600'], env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }],
      },
    });
    const pod = await eventually(async () => {
      const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'hello');
      return p.status?.phase === 'Running' && p;
    }, 'the pod is Running', 400, 100);
    const cs = pod.status.containerStatuses[0];
    assert.match(cs.containerID, /^runc:\/\//);
    assert.equal(cs.ready, true);
    const st = await node.rt.containerStatus(cs.containerID.slice('runc://'.length));
    assert.equal(st?.state, 'running');
    await eventually(async () => existsSync(st!.logPath) && readFileSync(st!.logPath, 'utf8').includes('hello from hello on node-runc'), 'the log shows the output');
    assert.match(readFileSync(st!.logPath, 'utf8'), /^\S+ stdout F hello from hello on node-runc$/m);

    await ac.admin.delete(resources.pods, 'default', 'hello', { gracePeriodSeconds: 1 });
    await eventually(async () => {
      try {
        await ac.admin.get(resources.pods, 'default', 'hello');
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, 'the pod is gone', 400, 100);
    assert.equal(await node.rt.containerStatus(st!.id), undefined, 'the container was removed');
  });
});
