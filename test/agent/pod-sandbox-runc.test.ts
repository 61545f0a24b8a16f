/**
 * Pod sandboxes of the runc runtime for real (root, runc, busybox-static): the pod's namespaces are
 * bind-mounted files, not a pause process (pod-namespaces.ts), except with shareProcessNamespace.
 * What the containers see (hostname, loopback, sysctls, one network namespace), that stopping and
 * removing leave no mount behind (nor in a mount namespace copied from the host's), and that a new
 * runtime instance finds the sandbox again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { requireBinaries, requireRunc } from '../helpers/real-parts.ts';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import { removeRuncState } from './runc-cleanup.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import type { ImageInfo, SandboxStatus } from '../../src/cluster/agent/runtime/types.ts';
import { createPodNamespaces, POD_NAMESPACE_ROOT } from '../../src/cluster/agent/runtime/pod-namespaces.ts';
import { Launcher } from '../../src/cluster/agent/runtime/launcher.ts';

const skip = requireRunc('the runc runtime') || requireBinaries('util-linux', 'unshare');

describe('runc pod sandboxes', { skip }, () => {
  let root = '';
  let rt: RuncRuntime;
  let image: ImageInfo;
  const runtimes: RuncRuntime[] = [];
  let n = 0;
  const podRef = (name: string) => ({ uid: `5b2d7c1e-0000-4000-8000-${String(++n).padStart(12, '0')}`, namespace: 'default', name });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'portcullis-sandbox-'));
    image = await busyboxRootfs(join(root, 'image'));
    rt = new RuncRuntime({ stateRoot: join(root, 'state'), startTimeoutMs: 20_000 });
    runtimes.push(rt);
  });

  after(() => removeRuncState(root, runtimes));

  async function start(sandbox: SandboxStatus, podSpec: Partial<PodSpec>, container: Container): Promise<string> {
    const c = await rt.createContainer(sandbox.id, { pod: sandbox.pod, podSpec: { ...podSpec, containers: [container] }, container, attempt: 0, image, env: [], mounts: [] });
    await rt.startContainer(c.id);
    return c.id;
  }

  async function execOut(id: string, argv: string[]): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    const { exitCode } = await rt.exec(id, { argv, tty: false, stdout: out, stderr: out });
    assert.equal(exitCode, 0, `${argv.join(' ')}: ${Buffer.concat(chunks).toString()}`);
    return Buffer.concat(chunks).toString();
  }

  /** Mount points under the sandbox's directory, from the host's mount table. */
  async function mountsUnder(dir: string): Promise<string[]> {
    return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(`${dir}/`));
  }

  /** The optional fields (shared:N ...) of each mount on the node's shared root of namespace files. */
  async function sharedRootMounts(): Promise<string[][]> {
    return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')).filter((f) => f[4] === POD_NAMESPACE_ROOT).map((f) => f.slice(6, f.indexOf('-')));
  }

  test('containers share the namespaces held by files: hostname, loopback up, sysctls; stop and removal unmount them', async () => {
    const spec: Partial<PodSpec> = { hostname: 'web-0', securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }, { name: 'kernel.shm_rmid_forced', value: '1' }] } };
    const sb = await rt.createSandbox({ pod: podRef('files'), spec: { containers: [], ...spec } });
    const dir = join(root, 'state', 'sandboxes', sb.id);
    const ns = join(POD_NAMESPACE_ROOT, sb.id);
    assert.equal(sb.state, 'ready');
    assert.deepEqual(sb.namespaces, { net: join(ns, 'net'), uts: join(ns, 'uts'), ipc: join(ns, 'ipc') });
    // Four mounts of its own (none for a directory of its own): the namespace files below the node's one shared root, and /dev/shm.
    assert.deepEqual(await mountsUnder(dir), [join(dir, 'shm')]);
    assert.deepEqual((await mountsUnder(ns)).sort(), [join(ns, 'ipc'), join(ns, 'net'), join(ns, 'uts')]);
    const shared = await sharedRootMounts();
    assert.equal(shared.length, 1, 'one mount of the shared root');
    assert.ok(shared[0]!.some((t) => t.startsWith('shared:')), `the root is a shared mount: ${shared[0]!.join(' ')}`);

    const a = await start(sb, spec, { name: 'a', command: ['sleep', '300'] });
    const b = await start(sb, spec, { name: 'b', command: ['sleep', '300'] });
    assert.equal((await execOut(a, ['hostname'])).trim(), 'web-0');
    // IFF_UP | IFF_LOOPBACK: up, as runc brought it up for a pause container.
    assert.equal(Number(await execOut(a, ['cat', '/sys/class/net/lo/flags'])) & 1, 1);
    assert.equal((await execOut(a, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).trim(), '80');
    assert.equal((await execOut(a, ['cat', '/proc/sys/kernel/shm_rmid_forced'])).trim(), '1');
    assert.notEqual((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim(), '80', "the host's own value is untouched");
    const nsOf = async (id: string) => (await execOut(id, ['sh', '-c', 'for f in net uts ipc; do readlink /proc/self/ns/$f; done'])).trim();
    assert.equal(await nsOf(a), await nsOf(b), 'one network, UTS and IPC namespace per pod');
    assert.notEqual((await execOut(a, ['readlink', '/proc/self/ns/net'])).trim(), await readlink('/proc/self/ns/net'), "not the host's network");

    await rt.stopSandbox(sb.id);
    assert.equal((await rt.sandboxStatus(sb.id))?.state, 'notready');
    assert.equal((await rt.containerStatus(a))?.state, 'exited');
    assert.deepEqual(await mountsUnder(ns), [], 'the namespace files are unmounted when the sandbox stops');
    assert.deepEqual(await mountsUnder(dir), [], 'so is its /dev/shm (containerd\'s StopPodSandbox): a stopped pod holds no memory there');
    await rt.removeSandbox(sb.id);
    assert.deepEqual(await mountsUnder(dir), []);
    assert.equal(existsSync(dir), false);
    assert.equal(existsSync(ns), false);
    assert.equal((await sharedRootMounts()).length, 1, 'the shared root stays');
  });

  test('stopping unmounts the namespace files in mount namespaces copied from the host too (they are below a shared mount, as /run/netns)', async (t) => {
    const sb = await rt.createSandbox({ pod: podRef('copied'), spec: { containers: [] } });
    const ns = join(POD_NAMESPACE_ROOT, sb.id);
    // A mount namespace copied from the host's as a slave, as runc's containers (rslave) and `ip netns exec` copy it.
    const other = spawn('unshare', ['--mount', '--propagation', 'slave', 'sleep', '120'], { stdio: 'ignore' });
    t.after(() => other.kill('SIGKILL'));
    await once(other, 'spawn');
    const copied = async () => (await readFile(`/proc/${other.pid}/mountinfo`, 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(`${ns}/`)).sort();
    for (let i = 0; i < 200 && (await copied()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await copied(), [join(ns, 'ipc'), join(ns, 'net'), join(ns, 'uts')], 'the copy holds the namespace files');
    await rt.stopSandbox(sb.id);
    // Without propagation the copy would keep the pod's network namespace alive as long as it lives.
    assert.deepEqual(await copied(), [], 'the unmount reached the copy');
    await rt.removeSandbox(sb.id);
  });

  test('a new runtime instance finds the sandbox ready with the same namespace files', async () => {
    const sb = await rt.createSandbox({ pod: podRef('again'), spec: { containers: [] } });
    const next = new RuncRuntime({ stateRoot: join(root, 'state') });
    runtimes.push(next);
    const found = (await next.list()).sandboxes.find((s) => s.id === sb.id);
    assert.deepEqual(found, sb);
    // The new instance finds the shared root made by the first: no second mount of it.
    const more = await next.createSandbox({ pod: podRef('again-2'), spec: { containers: [] } });
    assert.equal((await sharedRootMounts()).length, 1);
    await next.removeSandbox(sb.id);
    await next.removeSandbox(more.id);
    assert.equal(await rt.sandboxStatus(sb.id), undefined);
  });

  test('a sandbox made before the shared root (files in its own ns/, a shared bind of itself) is found and removed', async (t) => {
    // As the previous version made it: meta.json without namespaceDir, ns/ bound on itself.
    const id = 'legacy0000000000000000000000000';
    const dir = join(root, 'state', 'sandboxes', id);
    const ns = join(dir, 'ns');
    await mkdir(ns, { recursive: true });
    const pod = podRef('legacy');
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ kind: 'sandbox', id, pod, createdAt: new Date(0).toISOString(), hostname: 'legacy', hostNetwork: false, hostIPC: false, podFiles: {}, shm: join(dir, 'shm'), holder: 'files' }));
    const l = new Launcher();
    l.start();
    t.after(() => l.close());
    assert.equal((await l.run(['mount', '--bind', '--make-shared', ns, ns])).code, 0);
    await createPodNamespaces(l, { files: { net: join(ns, 'net'), uts: join(ns, 'uts'), ipc: join(ns, 'ipc') }, hostname: 'legacy', sysctls: {}, shm: join(dir, 'shm') });
    const next = new RuncRuntime({ stateRoot: join(root, 'state') });
    runtimes.push(next);
    const found = (await next.list()).sandboxes.find((s) => s.id === id);
    assert.equal(found?.state, 'ready');
    assert.deepEqual(found?.namespaces, { net: join(ns, 'net'), uts: join(ns, 'uts'), ipc: join(ns, 'ipc') });
    await next.removeSandbox(id);
    assert.deepEqual(await mountsUnder(dir), []);
    assert.equal(existsSync(dir), false);
  });

  test('hostNetwork and hostIPC: no namespace of its own, the host hostname; stopping marks it notready', async () => {
    const spec: Partial<PodSpec> = { hostNetwork: true, hostIPC: true };
    const sb = await rt.createSandbox({ pod: podRef('host'), spec: { containers: [], ...spec } });
    assert.equal(sb.state, 'ready');
    assert.deepEqual(sb.namespaces, {});
    const c = await start(sb, spec, { name: 'c', command: ['sleep', '300'] });
    assert.equal((await execOut(c, ['readlink', '/proc/self/ns/net'])).trim(), await readlink('/proc/self/ns/net'));
    await rt.stopSandbox(sb.id);
    assert.equal((await rt.sandboxStatus(sb.id))?.state, 'notready');
    await rt.removeSandbox(sb.id);
  });

  test('shareProcessNamespace keeps a pause process: the containers see each other and it', async () => {
    const spec: Partial<PodSpec> = { shareProcessNamespace: true };
    const sb = await rt.createSandbox({ pod: podRef('shared-pid'), spec: { containers: [], ...spec } });
    assert.equal(sb.state, 'ready');
    assert.ok(sb.pid, 'a pause process holds the PID namespace');
    assert.match(sb.namespaces.net ?? '', /^\/proc\/\d+\/ns\/net$/);
    const a = await start(sb, spec, { name: 'a', command: ['sleep', '301'] });
    const ps = await execOut(a, ['ps', '-o', 'pid,args']);
    assert.match(ps, /^\s*1\s+\/busybox sleep 2147483647$/m, 'the pause process is pid 1');
    assert.match(ps, /sleep 301/);
    await rt.removeSandbox(sb.id);
    assert.equal(existsSync(join(root, 'state', 'sandboxes', sb.id)), false);
  });
});
