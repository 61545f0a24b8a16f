import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../runtime/types.ts';
import { LocalStorageEviction } from './local-storage-eviction.ts';
import { rankedUsage, storageLimits } from './local-storage-limits.ts';

const Mi = 1024 * 1024;
const quiet = { info() {}, warn() {} };

/** A node with pods whose writable layers, logs and volumes are real directories under `root`. */
function node(root: string, pods: Pod[], maxInodes?: number) {
  const containers: ContainerStatus[] = [];
  const layers = new Map<string, string>();
  for (const p of pods) {
    const uid = p.metadata!.uid!;
    for (const c of p.spec!.containers) {
      const id = `${uid}-${c.name}`;
      const layer = join(root, 'layers', id);
      const logDir = join(root, 'logs', `ns_${p.metadata!.name}_${uid}`, c.name);
      mkdirSync(layer, { recursive: true });
      mkdirSync(logDir, { recursive: true });
      layers.set(id, layer);
      containers.push({ id, sandboxId: `sb-${uid}`, pod: { uid, namespace: 'ns', name: p.metadata!.name! }, name: c.name, attempt: 0, imageRef: 'i', imageDigest: 'sha256:0', state: 'running', createdAt: '2026-01-01T00:00:00Z', logPath: join(logDir, '0.log') });
    }
    for (const v of p.spec!.volumes ?? []) mkdirSync(join(root, 'volumes', uid, v.name), { recursive: true });
  }
  const evicted: string[] = [];
  let lists = 0;
  const manager = new LocalStorageEviction({
    pods: () => pods,
    runtime: {
      list: async () => (lists++, { sandboxes: [], containers }),
      writableLayer: async (id) => layers.get(id),
    },
    volumePath: (uid, name) => join(root, 'volumes', uid, name),
    evict: (uid) => evicted.push(uid),
    log: quiet,
    ...(maxInodes ? { maxInodes } : {}),
  });
  const write = (rel: string, bytes: number) => writeFileSync(join(root, rel), Buffer.alloc(bytes, 1));
  return { manager, evicted, write, lists: () => lists };
}

const pod = (name: string, spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ metadata: { name, namespace: 'ns', uid: `uid-${name}` }, spec: { containers: [{ name: 'app' }], ...spec }, status: { phase: 'Running' } });
const es = (v: string) => ({ limits: { 'ephemeral-storage': v } });

test('a container writing past its limit, a pod past its total and an emptyDir past its sizeLimit are each evicted; others are untouched', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lse-'));
  try {
    const pods = [
      pod('layer', { containers: [{ name: 'app', resources: es('2Mi') }] }),
      pod('logs', { containers: [{ name: 'app', resources: es('2Mi') }] }),
      pod('total', { containers: [{ name: 'a', resources: es('2Mi') }, { name: 'b', resources: es('2Mi') }], volumes: [{ name: 'scratch', emptyDir: {} }] }),
      pod('dir', { volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }] }),
      pod('under', { containers: [{ name: 'app', resources: es('8Mi') }] }),
      pod('nolimit', {}),
    ];
    const n = node(root, pods);
    n.write('layers/uid-layer-app/big', 3 * Mi);
    n.write('logs/ns_logs_uid-logs/app/0.log', 3 * Mi);
    // Each container of "total" is within its own 2Mi, the pod (4Mi) is not once its emptyDir counts.
    n.write('layers/uid-total-a/f', 1.5 * Mi);
    n.write('layers/uid-total-b/f', 1.5 * Mi);
    n.write('volumes/uid-total/scratch/f', 1.5 * Mi);
    n.write('volumes/uid-dir/scratch/f', 2 * Mi);
    n.write('layers/uid-under-app/f', 4 * Mi);
    n.write('layers/uid-nolimit-app/f', 20 * Mi);
    const newly = await n.manager.pass();
    assert.deepEqual(newly.sort(), ['uid-dir', 'uid-layer', 'uid-logs', 'uid-total']);
    assert.deepEqual(n.evicted.sort(), newly);
    // "layer" and "logs" have one container, so PodLimits is 2Mi as well and the pod check comes first, as upstream.
    assert.equal(n.manager.verdict('uid-layer'), 'Pod ephemeral local storage usage exceeds the total limit of containers 2Mi. ');
    assert.equal(n.manager.verdict('uid-total'), 'Pod ephemeral local storage usage exceeds the total limit of containers 4Mi. ');
    assert.equal(n.manager.verdict('uid-dir'), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    assert.equal(n.manager.verdict('uid-under'), undefined);
    assert.equal(n.manager.verdict('uid-nolimit'), undefined);
    // A verdict stands: the next pass neither measures nor wakes the pod again.
    assert.deepEqual(await n.manager.pass(), []);
    assert.equal(n.evicted.length, 4);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the container check names the container when the pod total is within the sum', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lse-'));
  try {
    const p = pod('two', { containers: [{ name: 'a', resources: es('2Mi') }, { name: 'b', resources: es('8Mi') }] });
    const n = node(root, [p]);
    n.write('layers/uid-two-a/f', 2 * Mi);
    n.write('logs/ns_two_uid-two/a/0.log', Mi);
    assert.deepEqual(await n.manager.pass(), ['uid-two']);
    assert.equal(n.manager.verdict('uid-two'), 'Container a exceeded its local ephemeral storage limit "2Mi". ');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('pods without limits cost no runtime list; finished, deleting and critical pods are not evicted; gone pods are forgotten', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lse-'));
  try {
    const free = node(root, [pod('a', {}), pod('b', { volumes: [{ name: 'v', emptyDir: {} }] })]);
    assert.deepEqual(await free.manager.pass(), []);
    assert.equal(free.lists(), 0, 'nothing measured');

    const done = { ...pod('done', { containers: [{ name: 'app', resources: es('1Mi') }] }), status: { phase: 'Failed' } };
    const base = pod('deleting', { containers: [{ name: 'app', resources: es('1Mi') }] });
    const deleting: Pod = { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    const critical = pod('critical', { containers: [{ name: 'app', resources: es('1Mi') }], priority: 2_000_000_000 });
    const over = pod('over', { containers: [{ name: 'app', resources: es('1Mi') }] });
    const pods = [done, deleting, critical, over];
    const n = node(root, pods);
    for (const name of ['done', 'deleting', 'critical', 'over']) n.write(`layers/uid-${name}-app/f`, 2 * Mi);
    assert.deepEqual(await n.manager.pass(), ['uid-over']);
    pods.splice(3, 1);
    await n.manager.pass();
    assert.equal(n.manager.verdict('uid-over'), undefined, 'dropped with the pod');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a walk cut at the inode cap makes the use incomplete: it ranks as the largest, so a pod cannot hide a full disk behind its inodes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lse-'));
  try {
    const hider = pod('hider', { containers: [{ name: 'app', resources: es('1Gi') }] });
    const victim = pod('victim', { containers: [{ name: 'app', resources: es('1Gi') }] });
    const n = node(root, [hider, victim], 50);
    // 60 nested directories before the large file: the walk (depth first) stops at 50 inodes,
    // having counted the directories only (as a million empty files would hide it at the default cap).
    let deep = 'layers/uid-hider-app';
    for (let i = 0; i < 60; i++) mkdirSync(join(root, (deep = `${deep}/n`)));
    n.write(`${deep}/big`, 3 * Mi);
    n.write('layers/uid-victim-app/f', Mi);
    const measure = async (p: Pod) => {
      const own = [p.spec!.containers[0]!.name].map((c) => ({ id: `${p.metadata!.uid}-${c}`, sandboxId: 's', pod: { uid: p.metadata!.uid!, namespace: 'ns', name: p.metadata!.name! }, name: c, attempt: 0, imageRef: 'i', imageDigest: 'sha256:0', state: 'running', createdAt: '2026-01-01T00:00:00Z' }) as ContainerStatus);
      return n.manager.measure(p, storageLimits(p)!, own);
    };
    const h = await measure(hider);
    const v = await measure(victim);
    assert.equal(h.incomplete, true, 'the hider\'s walk was cut');
    assert.ok((h.total ?? 0) < 3 * Mi, 'what was counted misses the large file');
    assert.equal(v.incomplete, undefined);
    assert.ok((v.total ?? 0) >= Mi);
    assert.ok(rankedUsage(h) > rankedUsage(v), 'the pod whose use is unknown ranks before the one that was measured');
    assert.equal(rankedUsage(v), v.total);
    // Within its limit on what was counted: a lower bound never evicts by itself.
    assert.deepEqual(await n.manager.pass(), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('under inode pressure pods rank by the inodes their total counts, as upstream: a pod of many empty files before one of few large ones', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lse-'));
  try {
    const filler = pod('filler', { containers: [{ name: 'app', resources: es('1Gi') }], volumes: [{ name: 'v', emptyDir: { sizeLimit: '1Gi' } }] });
    const heavy = pod('heavy', { containers: [{ name: 'app', resources: es('1Gi') }] });
    const n = node(root, [filler, heavy]);
    for (let i = 0; i < 150; i++) n.write(`layers/uid-filler-app/f${i}`, 0);
    for (let i = 0; i < 150; i++) n.write(`volumes/uid-filler/v/f${i}`, 0);
    n.write('layers/uid-heavy-app/big', 2 * Mi);
    const running = (p: Pod) => [{ id: `${p.metadata!.uid}-app`, sandboxId: 's', pod: { uid: p.metadata!.uid!, namespace: 'ns', name: p.metadata!.name! }, name: 'app', attempt: 0, imageRef: 'i', imageDigest: 'sha256:0', state: 'running', createdAt: '2026-01-01T00:00:00Z' } as ContainerStatus];
    const f = await n.manager.measure(filler, storageLimits(filler)!, running(filler));
    const h = await n.manager.measure(heavy, storageLimits(heavy)!, running(heavy));
    // Layer and emptyDir (walked once for its sizeLimit, counted once in the total): 300 files and their 2 directories.
    assert.equal(f.inodes, 302);
    assert.equal(h.inodes, 2);
    assert.ok(rankedUsage(f, 'inodes') > rankedUsage(h, 'inodes'), 'the inode holder ranks first for inodes');
    assert.ok(rankedUsage(h) > rankedUsage(f), 'and the byte holder for ephemeral-storage');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a pod writing its /etc/hosts (as upstream counts etc-hosts, CVE-2020-8557) or a termination message file past its ephemeral-storage limit is evicted", async () => {
  const root = mkdtempSync(join(tmpdir(), 'lse-'));
  try {
    const p = pod('hosts', { containers: [{ name: 'app', resources: es('2Mi') }] });
    const n = node(root, [p]);
    const hosts = join(root, 'pods', 'uid-hosts', 'etc-hosts');
    mkdirSync(join(root, 'pods', 'uid-hosts'), { recursive: true });
    writeFileSync(hosts, Buffer.alloc(3 * Mi, 1));
    // Without the path the file is not seen; with it the pod's total is over.
    assert.deepEqual(await n.manager.pass(), []);
    const evicted: string[] = [];
    const manager = new LocalStorageEviction({
      pods: () => [p],
      runtime: { list: async () => ({ sandboxes: [], containers: [] }), writableLayer: async () => undefined },
      volumePath: () => undefined,
      writableFiles: (uid) => (uid === 'uid-hosts' ? [hosts, join(root, 'pods', 'uid-hosts', 'missing')] : []),
      evict: (uid) => evicted.push(uid),
      log: quiet,
    });
    assert.deepEqual(await manager.pass(), ['uid-hosts']);
    assert.deepEqual(evicted, ['uid-hosts']);
    assert.equal(manager.verdict('uid-hosts'), 'Pod ephemeral local storage usage exceeds the total limit of containers 2Mi. ');
    // Node-pressure ranking measures the same total.
    const u = await manager.measure(p, storageLimits(p)!, []);
    assert.ok(rankedUsage(u, 'ephemeral-storage') >= 3 * Mi, JSON.stringify(u));
    // A termination message file (a directory of the list): counted too.
    const t = pod('tlog', { containers: [{ name: 'app', resources: es('2Mi') }] });
    mkdirSync(join(root, 'pods', 'uid-tlog', 'containers', 'app'), { recursive: true });
    writeFileSync(join(root, 'pods', 'uid-tlog', 'containers', 'app', '0'), Buffer.alloc(3 * Mi, 1));
    const m2 = new LocalStorageEviction({
      pods: () => [t],
      runtime: { list: async () => ({ sandboxes: [], containers: [] }), writableLayer: async () => undefined },
      volumePath: () => undefined,
      writableFiles: (uid) => ['etc-hosts', 'etc-hostname', 'containers'].map((f) => join(root, 'pods', uid, f)),
      evict: () => {},
      log: quiet,
    });
    assert.deepEqual(await m2.pass(), ['uid-tlog']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
