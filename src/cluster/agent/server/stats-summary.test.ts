import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rfc3339 } from '../../../api/time.ts';
import { FakeRuntime } from '../runtime/fake.ts';
import type { ContainerConfig, ContainerStatus } from '../runtime/types.ts';
import { parseNetDev } from './host-stats.ts';
import { StatsSummary } from './stats-summary.ts';

const dir = mkdtempSync(join(tmpdir(), 'stats-summary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    5000      50    1    0    0     0          0         0     7000      70    2    0    0     0       0          0
veth12ab:   300       3    0    0    0     0          0         0      400       4    0    0    0     0       0          0
`;

/** The fake runtime with log files on disk. */
class LoggingRuntime extends FakeRuntime {
  override async list() {
    const l = await super.list();
    return { sandboxes: l.sandboxes, containers: l.containers.map((c): ContainerStatus => ({ ...c, logPath: join(dir, 'logs', c.pod.uid, c.name, `${c.attempt}.log`) })) };
  }
}

test('/proc/net/dev: counters per interface, loopback and veths left out', () => {
  assert.deepEqual(parseNetDev(NET_DEV), [{ name: 'eth0', rxBytes: 5000, rxErrors: 1, txBytes: 7000, txErrors: 2 }]);
});

test('the summary: node and pods in upstream\'s shape, usageNanoCores from the previous read, volumes, writable layers and logs by du', async () => {
  const proc = join(dir, 'proc');
  mkdirSync(join(proc, 'sys/kernel'), { recursive: true });
  mkdirSync(join(proc, '1/net'), { recursive: true });
  mkdirSync(join(proc, 'net'), { recursive: true });
  writeFileSync(join(proc, 'stat'), 'cpu  1 2 3 4 5 6 7 8 0 0\nbtime 1767225600\n');
  writeFileSync(join(proc, 'loadavg'), '0.50 0.40 0.30 3/412 9999\n');
  writeFileSync(join(proc, 'sys/kernel/pid_max'), '4194304\n');
  writeFileSync(join(proc, 'net/dev'), NET_DEV);
  // The sandbox's pid is 1 in the fake runtime: its namespace's interfaces.
  writeFileSync(join(proc, '1/net/dev'), NET_DEV.replace('eth0:    5000', 'eth0:    9000'));
  // The agent process (the "kubelet" system container): 150 + 50 ticks of CPU, started 1000 ticks after boot.
  mkdirSync(join(proc, '4242'), { recursive: true });
  writeFileSync(join(proc, '4242/stat'), '4242 (node agent) x) S 1 4242 4242 0 -1 4194560 500 0 3 0 150 50 0 0 20 0 11 0 1000 123456 789\n');
  writeFileSync(join(proc, '4242/status'), 'Name:\tnode\nVmRSS:\t   40000 kB\nRssAnon:\t   30000 kB\n');
  const data = join(dir, 'data');
  const runtime = new LoggingRuntime();
  const pod = { uid: 'u1', namespace: 'default', name: 'web' };
  const sb = await runtime.createSandbox({ pod, spec: { containers: [] } });
  const cfg = (name: string): ContainerConfig => ({ pod, podSpec: { containers: [{ name }] }, container: { name }, attempt: 0, image: { ref: 'busybox', digest: 'sha256:00', config: {}, rootfs: '/nonexistent' }, env: [], mounts: [] });
  const app = await runtime.createContainer(sb.id, cfg('app'));
  await runtime.startContainer(app.id);
  await runtime.createContainer(sb.id, cfg('idle')); // created, never started: not reported
  mkdirSync(join(dir, 'logs/u1/app'), { recursive: true });
  writeFileSync(join(dir, 'logs/u1/app/0.log'), 'x'.repeat(10_000));
  const vol = join(data, 'pods/u1/volumes/kubernetes.io~empty-dir/cache');
  mkdirSync(vol, { recursive: true });
  writeFileSync(join(vol, 'f'), 'y'.repeat(20_000));
  // The container's writable layer (the overlay's upper directory in the runc runtime).
  const layer = join(dir, 'layers/app');
  mkdirSync(layer, { recursive: true });
  writeFileSync(join(layer, 'written'), 'w'.repeat(30_000));
  runtime.setWritableLayer(app.id, layer);
  // The pod's managed /etc/hosts, which its containers can write: counted too (upstream's etcHostsStats).
  writeFileSync(join(data, 'pods/u1/etc-hosts'), 'h'.repeat(40_000));
  // Claims: one on a local PersistentVolume (reported with pvcRef, statfs figures), one on a hostPath one (no metrics upstream).
  const claimed = join(dir, 'local-pv');
  mkdirSync(claimed);
  const claimVolumes = (uid: string) => (uid === 'u1' ? [{ name: 'data', claimName: 'data-claim', path: claimed, source: 'local' as const }, { name: 'host', claimName: 'host-claim', path: dir, source: 'hostPath' as const }] : []);
  let t = Date.parse('2026-01-01T00:01:00Z');
  const usage = (cpu: number) => ({ cpuUsageNanos: cpu, memoryWorkingSetBytes: 1_000_000, memoryUsageBytes: 3_000_000, memoryRssBytes: 800_000, pageFaults: 10, majorPageFaults: 1, memoryLimitBytes: 64 * 1024 * 1024, timestamp: new Date(t) });
  runtime.setUsage(app.id, usage(2_000_000_000));
  runtime.setUsage(sb.id, { cpuUsageNanos: 1_000_000, memoryWorkingSetBytes: 100_000, timestamp: new Date(t) });
  const s = new StatsSummary({
    nodeName: 'n1', runtime, dataDir: data, proc, selfPid: 4242, claimVolumes, imagesUsage: async () => 12345, now: () => new Date(t),
    nodeStats: async () => ({ cpuUsageNanos: 50_000_000_000, memoryWorkingSetBytes: 2_000_000_000, memoryUsageBytes: 3_000_000_000, memoryLimitBytes: 8_000_000_000, timestamp: new Date(t) }),
  });
  const first = await s.summary() as any;
  assert.deepEqual(Object.keys(first), ['node', 'pods']);
  assert.deepEqual(Object.keys(first.node), ['nodeName', 'systemContainers', 'startTime', 'cpu', 'memory', 'network', 'fs', 'runtime', 'rlimit']);
  assert.deepEqual(first.node.systemContainers, [
    {
      name: 'kubelet', startTime: '2026-01-01T00:00:10Z', cpu: { time: '2026-01-01T00:01:00Z', usageCoreNanoSeconds: 2_000_000_000 },
      memory: { time: '2026-01-01T00:01:00Z', usageBytes: 40_960_000, workingSetBytes: 40_960_000, rssBytes: 30_720_000, pageFaults: 500, majorPageFaults: 3 },
    },
    {
      // The fake's parent cgroup counts the sandbox and the running container, made with the sandbox.
      name: 'pods', startTime: rfc3339(new Date(sb.createdAt)), cpu: { time: '2026-01-01T00:01:00Z', usageCoreNanoSeconds: 2_001_000_000 },
      memory: { time: '2026-01-01T00:01:00Z', usageBytes: 3_100_000, workingSetBytes: 1_100_000 },
    },
  ]);
  assert.equal(first.node.nodeName, 'n1');
  assert.equal(first.node.startTime, '2026-01-01T00:00:00Z', 'boot time');
  assert.deepEqual(first.node.cpu, { time: '2026-01-01T00:01:00Z', usageCoreNanoSeconds: 50_000_000_000 }, 'no rate on the first read');
  assert.deepEqual(first.node.memory, { time: '2026-01-01T00:01:00Z', availableBytes: 6_000_000_000, usageBytes: 3_000_000_000, workingSetBytes: 2_000_000_000 });
  assert.deepEqual(first.node.network, { time: '2026-01-01T00:01:00Z', name: 'eth0', rxBytes: 5000, rxErrors: 1, txBytes: 7000, txErrors: 2, interfaces: [{ name: 'eth0', rxBytes: 5000, rxErrors: 1, txBytes: 7000, txErrors: 2 }] });
  assert.deepEqual(Object.keys(first.node.fs), ['time', 'availableBytes', 'capacityBytes', 'usedBytes', 'inodesFree', 'inodes', 'inodesUsed']);
  assert.ok(first.node.fs.capacityBytes > 0 && first.node.fs.usedBytes > 0);
  assert.equal(first.node.runtime.imageFs.usedBytes, 12345);
  assert.deepEqual(first.node.rlimit, { time: '2026-01-01T00:01:00Z', maxpid: 4194304, curproc: 412 });

  assert.equal(first.pods.length, 1);
  const p = first.pods[0];
  assert.deepEqual(Object.keys(p), ['podRef', 'startTime', 'containers', 'cpu', 'memory', 'network', 'volume', 'ephemeral-storage']);
  assert.deepEqual(p.podRef, { name: 'web', namespace: 'default', uid: 'u1' });
  assert.deepEqual(p.containers.map((c: any) => c.name), ['app']);
  const c = p.containers[0];
  assert.deepEqual(Object.keys(c), ['name', 'startTime', 'cpu', 'memory', 'rootfs', 'logs']);
  assert.deepEqual(Object.keys(c.rootfs), ['time', 'availableBytes', 'capacityBytes', 'usedBytes', 'inodesFree', 'inodes', 'inodesUsed']);
  assert.ok(c.rootfs.usedBytes >= 30_000 && c.rootfs.inodesUsed === 2, JSON.stringify(c.rootfs));
  assert.deepEqual(c.memory, { time: '2026-01-01T00:01:00Z', availableBytes: 64 * 1024 * 1024 - 1_000_000, usageBytes: 3_000_000, workingSetBytes: 1_000_000, rssBytes: 800_000, pageFaults: 10, majorPageFaults: 1 });
  assert.ok(c.logs.usedBytes >= 10_000 && c.logs.inodesUsed === 2, JSON.stringify(c.logs));
  assert.deepEqual(p.cpu, { time: '2026-01-01T00:01:00Z', usageCoreNanoSeconds: 2_001_000_000 }, 'the sandbox plus its running containers');
  assert.equal(p.memory.workingSetBytes, 1_100_000);
  assert.equal(p.network.rxBytes, 9000, 'the pod\'s own namespace');
  assert.deepEqual(p.volume.map((v: any) => v.name), ['cache', 'data'], 'the hostPath PV\'s claim is left out');
  assert.ok(p.volume[0].usedBytes >= 20_000 && p.volume[0].inodesUsed === 2, JSON.stringify(p.volume[0]));
  assert.equal(p.volume[0].pvcRef, undefined);
  assert.deepEqual(Object.keys(p.volume[1]), ['time', 'availableBytes', 'capacityBytes', 'usedBytes', 'inodesFree', 'inodes', 'inodesUsed', 'name', 'pvcRef']);
  assert.deepEqual(p.volume[1].pvcRef, { name: 'data-claim', namespace: 'default' });
  // statfs, as upstream's local volume plugin: the file system's use (shared with the others on it), not du's of the empty directory (one block, one inode).
  assert.ok(p.volume[1].usedBytes > 1_000_000 && p.volume[1].inodesUsed > 100, JSON.stringify(p.volume[1]));
  const hostsBytes = statSync(join(data, 'pods/u1/etc-hosts')).blocks * 512;
  assert.ok(hostsBytes >= 40_000);
  assert.equal(p['ephemeral-storage'].usedBytes, p.volume[0].usedBytes + c.logs.usedBytes + c.rootfs.usedBytes + hostsBytes, 'the disk volume, logs, the writable layer and /etc/hosts, not the claim');

  // Ten seconds later: half a core for the container, rates now.
  t += 10_000;
  runtime.setUsage(app.id, usage(7_000_000_000));
  runtime.setUsage(sb.id, { cpuUsageNanos: 1_000_000, memoryWorkingSetBytes: 100_000, timestamp: new Date(t) });
  const second = await s.summary() as any;
  assert.equal(second.pods[0].containers[0].cpu.usageNanoCores, 500_000_000);
  assert.equal(second.pods[0].cpu.usageNanoCores, 500_000_000);
  assert.equal(second.node.cpu.usageNanoCores, 0);
  assert.equal(second.node.systemContainers[0].cpu.usageNanoCores, 0, 'the agent\'s rate');

  // The volume's use is walked again only after a minute (volumeStatsAggPeriod).
  writeFileSync(join(vol, 'g'), 'z'.repeat(50_000));
  const within = await s.summary() as any;
  assert.equal(within.pods[0].volume[0].usedBytes, p.volume[0].usedBytes, 'within the minute: the last walk');
  t += 60_000;
  const later = await s.summary() as any;
  assert.ok(later.pods[0].volume[0].usedBytes >= p.volume[0].usedBytes + 50_000, 'a minute on: walked again');
  // So is the writable layer.
  writeFileSync(join(layer, 'more'), 'm'.repeat(40_000));
  assert.equal((await s.summary() as any).pods[0].containers[0].rootfs.usedBytes, later.pods[0].containers[0].rootfs.usedBytes);
  t += 60_000;
  assert.ok((await s.summary() as any).pods[0].containers[0].rootfs.usedBytes >= c.rootfs.usedBytes + 40_000);

  const only = await s.summary(true) as any;
  assert.deepEqual(Object.keys(only.node), ['nodeName', 'systemContainers', 'startTime', 'cpu', 'memory']);
  assert.deepEqual(Object.keys(only.pods[0]), ['podRef', 'startTime', 'containers', 'cpu', 'memory']);
  assert.deepEqual(Object.keys(only.pods[0].containers[0]), ['name', 'startTime', 'cpu', 'memory']);
});

test('a pod with a cgroup of its own: its cpu and memory are that cgroup\'s (its limit gives availableBytes), not its parts\' sum', async () => {
  const at = new Date('2026-01-01T00:02:00Z');
  class PodCgroupRuntime extends FakeRuntime {
    async podUsageStats(uid: string) {
      return uid === 'p1' ? { cpuUsageNanos: 9_000_000_000, memoryWorkingSetBytes: 5_000_000, memoryUsageBytes: 6_000_000, memoryRssBytes: 4_000_000, memoryLimitBytes: 32 * 1024 * 1024, timestamp: at } : undefined;
    }
  }
  const runtime = new PodCgroupRuntime();
  const pod = { uid: 'p1', namespace: 'default', name: 'own' };
  const sb = await runtime.createSandbox({ pod, spec: { containers: [] } });
  const app = await runtime.createContainer(sb.id, { pod, podSpec: { containers: [{ name: 'app' }] }, container: { name: 'app' }, attempt: 0, image: { ref: 'busybox', digest: 'sha256:00', config: {}, rootfs: '/nonexistent' }, env: [], mounts: [] });
  await runtime.startContainer(app.id);
  runtime.setUsage(app.id, { cpuUsageNanos: 1_000_000_000, memoryWorkingSetBytes: 1_000_000, timestamp: at });
  const s = new StatsSummary({ nodeName: 'n1', runtime, now: () => at, nodeStats: async () => ({ cpuUsageNanos: 1, memoryWorkingSetBytes: 1, timestamp: at }) });
  const p = ((await s.summary(true)) as any).pods[0];
  assert.deepEqual(p.cpu, { time: '2026-01-01T00:02:00Z', usageCoreNanoSeconds: 9_000_000_000 });
  assert.deepEqual(p.memory, { time: '2026-01-01T00:02:00Z', availableBytes: 32 * 1024 * 1024 - 5_000_000, usageBytes: 6_000_000, workingSetBytes: 5_000_000, rssBytes: 4_000_000 });
  assert.equal(p.containers[0].memory.workingSetBytes, 1_000_000, 'the container\'s own stay its cgroup\'s');
});
