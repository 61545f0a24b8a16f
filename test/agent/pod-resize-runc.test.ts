/**
 * In-place pod resize on the real runtime (root, runc, busybox-static): a pods/resize patch raises a
 * running container's memory and CPU limits; the agent applies them with `runc update`, so the
 * container's own cgroup (memory.limit_in_bytes / memory.max, cpu.cfs_quota_us / cpu.max) changes
 * while the same process keeps running (restartCount 0). Skipped without root/runc/busybox,
 * failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { eventually, startAgentCluster, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('in-place pod resize on runc');
const NODE = 'node-resize';
const MI = 1024 * 1024;

/** A process's cgroup file for `controller`: the v1 hierarchy when the controller is mounted there, else the unified one. */
function cgroupFile(pid: number, controller: 'memory' | 'cpu', v1File: string, v2File: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
  const v1 = lines.find(([, ctrls]) => ctrls!.split(',').includes(controller));
  if (v1) return join('/sys/fs/cgroup', v1[1]!, v1[2]!, v1File);
  const unifiedRoot = existsSync('/sys/fs/cgroup/unified/cgroup.controllers') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
  return join(unifiedRoot, lines.find(([h]) => h === '0')![2]!, v2File);
}

describe('in-place pod resize (runc)', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;

  before(async () => {
    ac = await startAgentCluster([]);
    node = await startRuncAgent(ac, NODE, { ownCgroupParent: true });
  });

  after(() => stopRuncAgent(node, ac));

  test('the container\'s memory and cpu limits change through pods/resize without a restart', async () => {
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'grow' },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '16Mi' }, limits: { cpu: '200m', memory: '32Mi' } } }],
      },
    });
    const running = await eventually(async () => {
      const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'grow');
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    }, 'pod grow running', 600, 100);
    const id = String(running.status!.containerStatuses[0].containerID).replace('runc://', '');
    const pid = (await node.rt.containerStatus(id))!.pid!;
    const v1 = !readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(':memory:') ? false : true;
    const memFile = cgroupFile(pid, 'memory', 'memory.limit_in_bytes', 'memory.max');
    const cpuFile = cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us', 'cpu.max');
    const quota = () => readFileSync(cpuFile, 'utf8').trim().split(' ')[0];
    assert.equal(readFileSync(memFile, 'utf8').trim(), String(32 * MI));
    assert.equal(quota(), '20000');
    assert.deepEqual(running.status!.containerStatuses[0].resources, { requests: { cpu: '100m', memory: '16Mi' }, limits: { cpu: '200m', memory: '32Mi' } });

    await ac.admin.patch(resources.pods, 'default', 'grow', 'strategic', { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '150m' }, limits: { cpu: '400m', memory: '64Mi' } } }] } }, 'resize');
    const resized = await eventually(async () => {
      const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'grow');
      return p.status?.containerStatuses?.[0]?.resources?.limits?.memory === '64Mi' ? p : undefined;
    }, 'the resize applied and reported', 600, 100).catch(async (err) => {
      const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'grow');
      throw new Error(`${(err as Error).message}: ${JSON.stringify(p.status)}`);
    });
    assert.equal(readFileSync(memFile, 'utf8').trim(), String(64 * MI), `${v1 ? 'v1' : 'v2'} ${memFile}`);
    assert.equal(quota(), '40000');
    const cs = resized.status!.containerStatuses[0];
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.containerID, `runc://${id}`);
    assert.deepEqual(cs.resources, { requests: { cpu: '150m', memory: '16Mi' }, limits: { cpu: '400m', memory: '64Mi' } });
    assert.equal((await node.rt.containerStatus(id))!.pid, pid, 'the same process');
    assert.equal((resized.status!.conditions ?? []).find((c: { type: string }) => c.type.startsWith('PodResize')), undefined);
    await ac.admin.delete(resources.pods, 'default', 'grow', { gracePeriodSeconds: 0 }).catch(() => undefined);
  });
});
