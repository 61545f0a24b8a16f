/**
 * The runc runtime for real: root, Debian's runc and busybox-static. Each test runs containers in
 * one shared pod sandbox; `after` removes every container, the sandbox and the state root (mounts
 * included) whatever happened.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { removeRuncState } from './runc-cleanup.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import { isMounted } from '../../src/cluster/agent/runtime/rootfs.ts';
import { hostDevices } from '../../src/cluster/agent/runtime/host-devices.ts';
import { readCriLogs } from '../../src/cluster/agent/runtime/read-logs.ts';
import { POD_NAMESPACE_ROOT } from '../../src/cluster/agent/runtime/pod-namespaces.ts';
import type { ContainerStatus, ImageInfo, SandboxStatus } from '../../src/cluster/agent/runtime/types.ts';
import { existsSync } from 'node:fs';

const skip = requireRunc('the runc runtime');
const pod = { uid: '3f1c5a8e-0000-4000-8000-000000000001', namespace: 'default', name: 'rt' };

describe('runc runtime', { skip }, () => {
  let root = '';
  let rt: RuncRuntime;
  let image: ImageInfo;
  let sandbox: SandboxStatus;
  const runtimes: RuncRuntime[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'portcullis-runc-'));
    image = await busyboxRootfs(join(root, 'image'));
    rt = new RuncRuntime({ stateRoot: join(root, 'state'), startTimeoutMs: 20_000 });
    runtimes.push(rt);
    sandbox = await rt.createSandbox({ pod, spec: { containers: [] } });
  });

  after(() => removeRuncState(root, runtimes));

  async function run(container: Container, podSpec: Partial<PodSpec> = {}, attempt = 0): Promise<ContainerStatus> {
    const c = await rt.createContainer(sandbox.id, {
      pod, podSpec: { containers: [container], ...podSpec }, container, attempt, image,
      env: (container.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })), mounts: [],
    });
    await rt.startContainer(c.id);
    return c;
  }

  async function waitExit(id: string): Promise<ContainerStatus> {
    for (;;) {
      const s = await rt.containerStatus(id);
      assert.ok(s, `container ${id} vanished`);
      if (s.state === 'exited') return s;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function waitLog(path: string, text: string): Promise<string> {
    for (;;) {
      const log = await readFile(path, 'utf8').catch(() => '');
      if (log.includes(text)) return log;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function execOut(id: string, argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks: Buffer[] = [];
    const errChunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    err.on('data', (d: Buffer) => errChunks.push(d));
    const { exitCode } = await rt.exec(id, { argv, tty: false, stdout: out, stderr: err });
    return { exitCode, stdout: Buffer.concat(chunks).toString(), stderr: Buffer.concat(errChunks).toString() };
  }

  test('the sandbox holds the pod namespaces', () => {
    assert.equal(sandbox.state, 'ready');
    // Bind-mounted namespace files (pod-namespaces.ts), not a pause process's /proc/<pid>/ns.
    assert.equal(sandbox.namespaces.net, join(POD_NAMESPACE_ROOT, sandbox.id, 'net'));
    assert.equal(sandbox.pid, undefined);
  });

  test('a container runs and its log shows its output in CRI format', async () => {
    const c = await run({ name: 'hello', command: ['sh', '-c', 'echo hello $(NAME); echo oops >&2'], env: [{ name: 'NAME', value: 'world' }] });
    const s = await waitExit(c.id);
    assert.equal(s.exitCode, 0);
    assert.equal(s.reason, 'Completed');
    const log = await waitLog(s.logPath, 'oops');
    assert.match(log, /^\S+Z stdout F hello world$/m);
    assert.match(log, /^\S+Z stderr F oops$/m);
    assert.ok(s.logPath.endsWith(`/${pod.namespace}_${pod.name}_${pod.uid}/hello/0.log`));
    const out = new PassThrough();
    const got: Buffer[] = [];
    out.on('data', (d: Buffer) => got.push(d));
    await readCriLogs(s.logPath, { stream: 'stdout' }, out);
    assert.equal(Buffer.concat(got).toString(), 'hello world\n', 'kubectl logs reads it back');
  });

  test("an exited container's status comes once its output is in the log (containerd's task.Delete waits for the IO)", async () => {
    // Lots of output right before the exit: the relay is still copying it when the exit file appears.
    const c = await run({ name: 'burst', command: ['sh', '-c', 'seq 1 60000; seq 1 60000 >&2; echo last-line'] });
    // Asked as often as it can be, so the status is seen the moment the runtime would report it.
    let s: ContainerStatus | undefined;
    while ((s = await rt.containerStatus(c.id))?.state !== 'exited') {
      assert.ok(s, 'the container is there');
      await new Promise((r) => setImmediate(r));
    }
    // Read at once, no waiting: the whole output is there (FallbackToLogsOnError reads it now).
    const log = await readFile(s!.logPath, 'utf8');
    assert.match(log, /stdout F last-line$/m);
    assert.match(log, /stderr F 60000$/m);
  });

  test('a container with tty: true runs on a terminal; its output is stdout', async () => {
    const c = await run({ name: 'terminal', tty: true, command: ['sh', '-c', 'test -t 0 && test -t 1 && echo on-a-tty >&2'] });
    const s = await waitExit(c.id);
    assert.equal(s.exitCode, 0);
    assert.match(await waitLog(s.logPath, 'on-a-tty'), /stdout F on-a-tty\r$/m);
  });

  test('a missing executable is a StartError with exit code 128', async () => {
    await assert.rejects(run({ name: 'missing', command: ['/no/such/binary'] }), /no such file|not found/i);
    const { containers } = await rt.list();
    const s = containers.find((c) => c.name === 'missing');
    assert.equal(s?.state, 'exited');
    assert.equal(s?.reason, 'StartError');
    assert.equal(s?.exitCode, 128);
  });

  test('exec runs as runAsUser; writing to a read-only root fails', async () => {
    const c = await run({ name: 'sleeper', command: ['sleep', '300'], securityContext: { runAsUser: 1234, runAsGroup: 4321, readOnlyRootFilesystem: true } }, { securityContext: { supplementalGroups: [555] } });
    assert.deepEqual(await execOut(c.id, ['id', '-u']), { exitCode: 0, stdout: '1234\n', stderr: '' });
    const groups = await execOut(c.id, ['id', '-G']);
    assert.deepEqual(groups.stdout.trim().split(' ').sort(), ['4321', '555']);
    const w = await execOut(c.id, ['touch', '/written']);
    assert.notEqual(w.exitCode, 0);
    assert.match(w.stderr, /Read-only file system/);
    await rt.stopContainer(c.id, 0);
  });

  test("a terminal's size follows the client's: exec, and attach to a tty container", async () => {
    // Polls its own size (bounded): the resize reaches the terminal shortly after the process starts.
    const poll = 'for i in $(seq 100); do s=$(stty size); [ "$s" = "30 100" ] && break; sleep 0.05; done; echo "size $s"';
    const c = await run({ name: 'resize', command: ['sleep', '300'] });
    const sizes = new PassThrough({ objectMode: true });
    sizes.write({ width: 100, height: 30 });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    await rt.exec(c.id, { argv: ['sh', '-c', poll], tty: true, stdout: out, resize: sizes });
    assert.match(Buffer.concat(chunks).toString(), /size 30 100/);

    const t = await run({ name: 'attach-tty', tty: true, stdin: true, command: ['sh', '-c', `read go; ${poll}`] });
    const attached = new PassThrough();
    const seen: Buffer[] = [];
    attached.on('data', (d: Buffer) => seen.push(d));
    const input = new PassThrough();
    const attachSizes = new PassThrough({ objectMode: true });
    const done = rt.attach(t.id, { tty: true, stdin: input, stdout: attached, resize: attachSizes });
    attachSizes.write({ width: 100, height: 30 });
    input.write('go\n');
    await done;
    assert.match(Buffer.concat(seen).toString(), /size 30 100/);
  });

  test('stdinOnce (no terminal): the container reads end of file when the first attach\'s input ends; without it stdin stays open', async () => {
    const once = await run({ name: 'stdin-once', stdin: true, stdinOnce: true, command: ['sh', '-c', 'cat; echo "end of input"'] });
    const plain = await run({ name: 'stdin-kept', stdin: true, command: ['sh', '-c', 'cat; echo "end of input"'] });
    // Nobody attached yet: the process waits on its stdin rather than reading end of file.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await rt.containerStatus(once.id))?.state, 'running');
    const attachOnce = async (id: string, text: string, signal?: AbortSignal) => {
      const input = new PassThrough();
      const out = new PassThrough();
      const seen: Buffer[] = [];
      out.on('data', (d: Buffer) => seen.push(d));
      const done = rt.attach(id, { tty: false, stdin: input, stdout: out, stderr: out, signal });
      input.end(text);
      return { done, output: () => Buffer.concat(seen).toString() };
    };
    const a = await attachOnce(once.id, 'hello\n');
    // Bounded, so a stdin that never closes fails the test instead of hanging it.
    await Promise.race([a.done, new Promise((_, reject) => setTimeout(() => reject(new Error('the process never read end of file')), 20_000).unref())]);
    assert.equal(a.output(), 'hello\nend of input\n', 'the input, then end of file');
    assert.equal((await waitExit(once.id)).exitCode, 0);
    // The same with stdinOnce unset: the input reaches cat, end of file never does.
    const ac = new AbortController();
    const b = await attachOnce(plain.id, 'hi\n', ac.signal);
    await waitLog(plain.logPath, 'hi');
    ac.abort();
    await b.done;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await rt.containerStatus(plain.id))?.state, 'running', 'stdin stays open without stdinOnce');
    assert.doesNotMatch(await readFile(plain.logPath, 'utf8'), /end of input/);
  });

  test('exec with a terminal: stdin and stdout are a tty, the exit code comes back', async () => {
    const c = await run({ name: 'tty', command: ['sleep', '300'] });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    const { exitCode } = await rt.exec(c.id, { argv: ['sh', '-c', 'test -t 0 && test -t 1 && echo on-a-tty; exit 7'], tty: true, stdout: out });
    assert.equal(exitCode, 7);
    assert.match(Buffer.concat(chunks).toString(), /on-a-tty/);
    const plain = await execOut(c.id, ['sh', '-c', 'test -t 1 || echo no-tty']);
    assert.equal(plain.stdout, 'no-tty\n');
    // An aborted exec (the client went away) kills the exec'd process, not the container.
    const ac = new AbortController();
    const killed = new PassThrough();
    killed.on('data', () => ac.abort());
    const r = await rt.exec(c.id, { argv: ['sh', '-c', 'echo started; exec sleep 300'], tty: false, stdout: killed, signal: ac.signal });
    assert.notEqual(r.exitCode, 0);
    // Every live sleep in the container's PID namespace: only its init (pid 1) may be left. A killed
    // one can linger as a zombie (the container's init is a sleep, which reaps nothing): not counted.
    const live = await execOut(c.id, ['sh', '-c', 'for p in $(pidof sleep); do grep -q "^State:.*Z" /proc/$p/status || echo $p; done']);
    assert.equal(live.stdout.trim(), '1');
    assert.equal((await rt.containerStatus(c.id))?.state, 'running');
    await rt.stopContainer(c.id, 0);
  });

  test('a dropped capability is absent from CapEff; a kept one is present', async () => {
    const c = await run({ name: 'caps', command: ['sleep', '300'], securityContext: { capabilities: { drop: ['NET_RAW'] } } });
    const { stdout } = await execOut(c.id, ['grep', 'CapEff', '/proc/self/status']);
    const eff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(stdout)?.[1] ?? '0'}`);
    assert.equal(eff & (1n << 13n), 0n, 'CAP_NET_RAW (13) dropped');
    assert.notEqual(eff & (1n << 0n), 0n, 'CAP_CHOWN (0) kept from the default set');
    assert.equal(eff & (1n << 21n), 0n, 'CAP_SYS_ADMIN (21) not in the default set');
    await rt.stopContainer(c.id, 0);
  });

  test("a privileged container gets every capability and the host's devices; others do not", async () => {
    const dev = (await hostDevices()).find((d) => !['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/ptmx'].includes(d.path));
    assert.ok(dev, 'the host has a device beyond the defaults');
    const priv = await run({ name: 'priv', command: ['sleep', '300'], securityContext: { privileged: true } });
    const flag = dev.type === 'b' ? '-b' : '-c';
    assert.equal((await execOut(priv.id, ['test', flag, dev.path])).exitCode, 0, `${dev.path} in the privileged container`);
    const eff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec((await execOut(priv.id, ['grep', 'CapEff', '/proc/self/status'])).stdout)?.[1] ?? '0'}`);
    assert.notEqual(eff & (1n << 21n), 0n, 'CAP_SYS_ADMIN');
    const plain = await run({ name: 'unpriv', command: ['sleep', '300'] });
    assert.notEqual((await execOut(plain.id, ['test', '-e', dev.path])).exitCode, 0, `no ${dev.path} without privilege`);
    await rt.stopContainer(priv.id, 0);
    await rt.stopContainer(plain.id, 0);
  });

  test('a memory hog is OOMKilled', async () => {
    const c = await run({ name: 'hog', command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], resources: { limits: { memory: '16Mi' } } });
    const s = await waitExit(c.id);
    assert.equal(s.reason, 'OOMKilled');
    assert.notEqual(s.exitCode, 0);
  });

  test('stop honours the grace period: SIGTERM handled in time; SIGKILL when ignored', async () => {
    const polite = await run({ name: 'polite', command: ['sh', '-c', 'trap "echo got TERM; exit 3" TERM; echo ready; while true; do sleep 0.1; done'] });
    await waitLog(polite.logPath, 'ready');
    await rt.stopContainer(polite.id, 10);
    const p = await waitExit(polite.id);
    assert.equal(p.exitCode, 3, 'the TERM handler ran and chose the exit code');
    assert.match(await waitLog(p.logPath, 'got TERM'), /stdout F got TERM/);

    const stubborn = await run({ name: 'stubborn', command: ['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done'] });
    await waitLog(stubborn.logPath, 'ready');
    await rt.stopContainer(stubborn.id, 1);
    const s = await waitExit(stubborn.id);
    assert.equal(s.exitCode, 137, 'SIGKILL after the grace period');
    assert.equal(s.reason, 'Error');
  });

  test("stop sends the image's StopSignal", async () => {
    const container = { name: 'usr1', command: ['sh', '-c', 'trap "exit 5" USR1; echo ready; while true; do sleep 0.1; done'] };
    const c = await rt.createContainer(sandbox.id, {
      pod, podSpec: { containers: [container] }, container, attempt: 0, env: [], mounts: [],
      image: { ...image, config: { ...image.config, StopSignal: 'SIGUSR1' } },
    });
    await rt.startContainer(c.id);
    await waitLog(c.logPath, 'ready');
    await rt.stopContainer(c.id, 10);
    assert.equal((await waitExit(c.id)).exitCode, 5, 'USR1, not TERM (which the shell would not trap)');
  });

  test('a new runtime instance re-adopts running containers and their logs keep flowing', async () => {
    const c = await run({ name: 'ticker', command: ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'] });
    await waitLog(c.logPath, 'tick 2');
    const before = await rt.containerStatus(c.id);
    rt.close(); // the agent goes away; the container does not
    const next = new RuncRuntime({ stateRoot: join(root, 'state') });
    runtimes.push(next);
    const { containers, sandboxes } = await next.list();
    const again = containers.find((x) => x.id === c.id);
    assert.equal(again?.state, 'running');
    assert.equal(again?.pid, before?.pid, 'the same process, not a restart');
    assert.ok(sandboxes.some((s) => s.id === sandbox.id && s.state === 'ready'));
    const lines = (await readFile(c.logPath, 'utf8')).split('\n').length;
    const log = await waitLog(c.logPath, `tick ${lines + 5}`);
    assert.match(log, /stdout F tick \d+/);
    rt = next;
    await rt.stopContainer(c.id, 0);
  });

  test("a pod's containers share its /dev/shm; removing the sandbox unmounts it", async () => {
    const pod2 = { ...pod, uid: '3f1c5a8e-0000-4000-8000-000000000009', name: 'shm' };
    const sb = await rt.createSandbox({ pod: pod2, spec: { containers: [] } });
    const start = async (name: string, command: string[]) => {
      const container = { name, command };
      const c = await rt.createContainer(sb.id, { pod: pod2, podSpec: { containers: [container] }, container, attempt: 0, image, env: [], mounts: [] });
      await rt.startContainer(c.id);
      return c;
    };
    const writer = await start('writer', ['sh', '-c', 'echo shared > /dev/shm/x; echo written; sleep 300']);
    await waitLog(writer.logPath, 'written');
    const reader = await start('reader', ['sleep', '300']);
    assert.deepEqual(await execOut(reader.id, ['cat', '/dev/shm/x']), { exitCode: 0, stdout: 'shared\n', stderr: '' });
    const shm = join(root, 'state', 'sandboxes', sb.id, 'shm');
    assert.equal(await isMounted(shm), true);
    await rt.removeSandbox(sb.id);
    assert.equal(await isMounted(shm), false);
    assert.equal(existsSync(join(root, 'state', 'sandboxes', sb.id)), false);
    assert.equal(await rt.containerStatus(writer.id), undefined, 'its containers went with it');
  });

  test('removal leaves no mount and no state behind', async () => {
    const c = await run({ name: 'gone', command: ['true'] });
    await waitExit(c.id);
    const dir = join(root, 'state', 'containers', c.id);
    assert.equal(await isMounted(join(dir, 'bundle', 'rootfs')), true);
    await rt.removeContainer(c.id);
    assert.equal(await isMounted(join(dir, 'bundle', 'rootfs')), false);
    assert.equal(existsSync(dir), false);
    assert.equal(await rt.containerStatus(c.id), undefined);
  });
});
