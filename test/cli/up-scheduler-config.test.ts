/**
 * `portcullis up --scheduler-config FILE`: the KubeSchedulerConfiguration `portcullis scheduler
 * --config` takes, for the scheduler up runs in its components worker. Its profiles replace the
 * default one (a pod naming the file's scheduler is bound, one naming default-scheduler is not),
 * its Lease is the one elected on; a file the strict decoder refuses stops up before it serves.
 * `portcullis scheduler --config` resolves the file through the same code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnUp } from '../helpers/spawn-up.ts';
import { startTestCluster } from '../helpers/cluster.ts';
import { runScheduler } from '../../src/cli/scheduler.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { until } from '../helpers/kubectl-session.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');
const HEAD = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';

const now = new Date().toISOString();
const NODE = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sc-node' }, status: { capacity: { cpu: '8', memory: '16Gi', pods: '110' }, allocatable: { cpu: '8', memory: '16Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now, lastTransitionTime: now }] } };
const pod = (name: string, schedulerName: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { schedulerName, containers: [{ name: 'c', image: 'busybox' }] } });

test('up --scheduler-config: the file\'s profile and Lease are the scheduler\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-upsc-'));
  const file = join(dir, 'sched.yaml');
  writeFileSync(file, `${HEAD}leaderElection:\n  resourceName: custom-scheduler\nprofiles:\n  - schedulerName: custom-scheduler\n`);
  const up = await spawnUp(join(dir, 'data'), ['--local-agent=false', '--scheduler-config', file]);
  const c = up.client;
  try {
    assert.equal((await c.post('/api/v1/nodes', NODE)).status, 201);
    // The default profile is gone: its pod is created first, and is still unbound when the other is bound.
    assert.equal((await c.post('/api/v1/namespaces/default/pods', pod('by-default', 'default-scheduler'))).status, 201);
    assert.equal((await c.post('/api/v1/namespaces/default/pods', pod('by-custom', 'custom-scheduler'))).status, 201);
    const bound = await until('the custom-scheduler pod is bound', async () => (await c.get('/api/v1/namespaces/default/pods/by-custom')).body.spec?.nodeName as string | undefined);
    assert.equal(bound, 'sc-node');
    assert.equal((await c.get('/api/v1/namespaces/default/pods/by-default')).body.spec?.nodeName, undefined);
    const lease = await until('the scheduler holds kube-system/custom-scheduler', async () => {
      const l = await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/custom-scheduler');
      return l.status === 200 && l.body.spec?.holderIdentity ? l.body : undefined;
    });
    assert.ok(lease.spec.holderIdentity);
    assert.equal((await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler')).status, 404);
  } finally {
    c.close();
    up.child.kill('SIGTERM');
    assert.equal(await up.exited, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up --scheduler-config: a field the strict decoder does not know, or a kubeconfig up would ignore, stops the start before anything is made', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-upsc-'));
  try {
    const run = (yaml: string) => {
      const file = join(dir, 'sched.yaml');
      writeFileSync(file, yaml);
      const data = join(dir, 'data');
      const r = spawnSync(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', data, '--local-agent=false', '--scheduler-config', file], { encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, stderr: r.stderr, made: existsSync(data) };
    };
    const misspelt = run(`${HEAD}profiles:\n  - schedulerName: x\n    plugins:\n      score:\n        enabled:\n          - name: NodeResourcesFit\n            wieght: 3\n`);
    assert.notEqual(misspelt.status, 0);
    assert.match(misspelt.stderr, /scheduler config: strict decoding error: unknown field "profiles\[0\]\.plugins\.score\.enabled\[0\]\.wieght"/);
    assert.equal(misspelt.made, false, 'no data directory made');
    const kubeconfig = run(`${HEAD}clientConnection:\n  kubeconfig: /etc/kubernetes/scheduler.conf\n`);
    assert.notEqual(kubeconfig.status, 0);
    assert.match(kubeconfig.stderr, /clientConnection\.kubeconfig: Forbidden: not used by portcullis up/);
    assert.equal(kubeconfig.made, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scheduler --config: the same file settings for the scheduler as its own process', async () => {
  const c = await startTestCluster();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-schedcli-'));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  try {
    const file = join(dir, 'sched.yaml');
    writeFileSync(file, `${HEAD}leaderElection:\n  leaderElect: false\nprofiles:\n  - schedulerName: solo\n`);
    let out = '';
    const running = runScheduler(['--kubeconfig', c.cp.kubeconfigPath, '--config', file, '--log-level', 'silent'], (s) => (out += s), (cfg) => new RestClient(cfg), stopped);
    assert.equal((await c.admin.post('/api/v1/nodes', NODE)).status, 201);
    // No node lifecycle controller here to lift TaintNodesByCondition's not-ready:NoSchedule from the Ready Node.
    assert.equal((await c.admin.patch('/api/v1/nodes/sc-node', { spec: { taints: null } }, 'application/merge-patch+json')).status, 200);
    assert.equal((await c.admin.post('/api/v1/namespaces/default/pods', pod('by-solo', 'solo'))).status, 201);
    const bound = await until('the solo pod is bound', async () => (await c.admin.get('/api/v1/namespaces/default/pods/by-solo')).body.spec?.nodeName as string | undefined);
    assert.equal(bound, 'sc-node');
    stop();
    assert.equal(await running, 0);
    assert.match(out, /^scheduler against https:\/\/\S+ with profiles solo\n$/);
  } finally {
    stop();
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
