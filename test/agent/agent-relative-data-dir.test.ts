/**
 * An agent started with a relative --data-dir (`npm start` runs `portcullis up` with
 * ./.portcullis): every host path it hands the runtime is absolute. runc resolves a relative mount
 * source against the bundle, so a relative one failed every container start (the managed
 * /etc/hosts: "error mounting .../bundle/.portcullis/agent/pods/<uid>/sandbox-hosts").
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isAbsolute, relative } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { ContainerConfig } from '../../src/cluster/agent/runtime/types.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
const seen: ContainerConfig[] = [];

before(async () => {
  ac = await startAgentCluster();
  // A path relative to the test's working directory, inside the cluster's temp dir (removed by close).
  await ac.start('node-rel', { dataDir: relative(process.cwd(), `${ac.dir}/node-rel`), fake: { program: (cfg) => (seen.push(cfg), {}) } });
});
after(() => ac.close());

test('a relative data directory still gives the runtime absolute mount sources', async () => {
  await ac.admin.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { k: 'v' } });
  await ac.admin.create<K8sObject>(resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'rel' },
    spec: {
      nodeName: 'node-rel',
      containers: [{ name: 'app', image: 'example.test/app:1', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'cm', mountPath: '/cm' }] }],
      volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'cm', configMap: { name: 'cm' } }],
    },
  });
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'rel')).status?.phase === 'Running', 'the pod is Running');
  const cfg = seen.find((c) => c.container.name === 'app');
  assert.ok(cfg, 'the container was created');
  const paths = cfg.mounts.map((m) => `${m.containerPath} <- ${m.hostPath}`);
  assert.ok(cfg.mounts.some((m) => m.containerPath === '/etc/hosts'), paths.join('\n'));
  for (const m of cfg.mounts) assert.ok(isAbsolute(m.hostPath), `relative mount source: ${m.containerPath} <- ${m.hostPath}`);
});
