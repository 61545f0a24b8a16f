import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from './runtime/types.ts';
import { PodManagedFiles, writeNoFollow, writeSandboxFile } from './pod-managed-files.ts';

const UID = '0d2c7a1e-5b1f-4c38-9d1e-1f2a3b4c5d6e';
const log = { warn() {} };

function setUp(): { dir: string; files: PodManagedFiles; warnings: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'pod-files-'));
  writeFileSync(join(dir, 'node-hosts'), '127.0.0.1\tlocalhost\n10.0.0.5\tnode-a\n');
  const warnings: string[] = [];
  const files = new PodManagedFiles({ root: join(dir, 'pods'), nodeHostsPath: join(dir, 'node-hosts'), nodeHostname: () => 'node-a', log: { warn: (_o, m) => warnings.push(m) } });
  return { dir, files, warnings };
}

const pod = (spec: Partial<Pod['spec']> = {}, containers: Container[] = [{ name: 'app', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }]): Pod => ({
  metadata: { name: 'web-0', namespace: 'prod', uid: UID },
  spec: { containers, ...spec },
});

test('each container gets /etc/hosts (pod IPs and aliases), /etc/hostname and its own termination file; none where it mounts a volume', async () => {
  const { dir, files } = setUp();
  try {
    const p = pod({ hostname: 'db', subdomain: 'svc1', setHostnameAsFQDN: true, hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.remote'] }] });
    const mounts = await files.mountsFor(p, p.spec!.containers[0]!, 3, ['10.244.1.7']);
    const by = Object.fromEntries(mounts.map((m) => [m.containerPath, m]));
    assert.deepEqual(Object.keys(by), ['/etc/hosts', '/etc/hostname', '/dev/termination-log']);
    assert.equal(by['/etc/hosts']!.hostPath, join(dir, 'pods', UID, 'etc-hosts'));
    assert.equal(by['/etc/hosts']!.readOnly, false);
    assert.match(readFileSync(by['/etc/hosts']!.hostPath, 'utf8'), /^# Kubernetes-managed hosts file\.\n[^]*\n10\.244\.1\.7\tdb\.svc1\.prod\.svc\.cluster\.local\tdb\n\n# Entries added by HostAliases\.\n10\.1\.2\.3\tfoo\.remote\n$/);
    assert.equal(readFileSync(by['/etc/hostname']!.hostPath, 'utf8'), 'db.svc1.prod.svc.cluster.local\n');
    assert.equal(files.sandboxHostname(p), 'db.svc1.prod.svc.cluster.local');
    const term = by['/dev/termination-log']!;
    assert.equal(term.hostPath, join(dir, 'pods', UID, 'containers', 'app', '3'));
    assert.equal(term.readOnly, false);
    assert.equal(statSync(term.hostPath).mode & 0o777, 0o666);
    assert.equal(readFileSync(term.hostPath, 'utf8'), '');

    // The container's own volumes at those paths win; no terminationMessagePath, no file.
    const own: Container = { name: 'app', volumeMounts: [{ name: 'v', mountPath: '/etc/hosts' }, { name: 'w', mountPath: '/etc/hostname' }] };
    assert.deepEqual(await files.mountsFor(pod({}, [own]), own, 0, ['10.244.1.7']), []);

    // No pod IP yet (no pod network): a copy of the node's file, as containerd's sandbox hosts; read-only with a read-only root.
    const ro: Container = { name: 'app', securityContext: { readOnlyRootFilesystem: true } };
    const noIp = await files.mountsFor(pod({}, [ro]), ro, 0, undefined);
    assert.deepEqual(noIp.map((m) => [m.containerPath, m.readOnly]), [['/etc/hosts', true], ['/etc/hostname', true]]);
    assert.equal(readFileSync(noIp[0]!.hostPath, 'utf8'), '127.0.0.1\tlocalhost\n10.0.0.5\tnode-a\n');
    assert.equal(readFileSync(noIp[1]!.hostPath, 'utf8'), 'web-0\n');

    // Host network: the node's hosts under the kubelet's header, plus the aliases; the node's hostname.
    const hn = pod({ hostNetwork: true, hostAliases: [{ ip: '10.1.2.3', hostnames: ['a', 'b'] }] }, [{ name: 'app' }]);
    const hostNet = await files.mountsFor(hn, hn.spec!.containers[0]!, 0, ['10.0.0.5']);
    assert.equal(readFileSync(hostNet[0]!.hostPath, 'utf8'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n10.0.0.5\tnode-a\n\n# Entries added by HostAliases.\n10.1.2.3\ta\tb\n');
    assert.equal(readFileSync(hostNet[1]!.hostPath, 'utf8'), 'node-a\n');
    assert.equal(files.sandboxHostname(hn), undefined);

    await files.forget(UID);
    assert.equal(existsSync(join(dir, 'pods', UID, 'etc-hosts')), false);
    assert.equal(existsSync(join(dir, 'pods', UID)), false, 'the emptied pod directory goes too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the agent never writes through a symlink in the pod directory, nor into a directory named by a bad uid or container name', async () => {
  const { dir, files, warnings } = setUp();
  try {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'target'), 'keep');
    mkdirSync(join(dir, 'pods', UID), { recursive: true });
    symlinkSync(join(outside, 'target'), join(dir, 'pods', UID, 'etc-hosts'));
    const p = pod();
    await assert.rejects(files.mountsFor(p, p.spec!.containers[0]!, 0, ['10.244.1.7']), /ELOOP/);
    assert.equal(readFileSync(join(outside, 'target'), 'utf8'), 'keep');
    rmSync(join(dir, 'pods', UID, 'etc-hosts'));

    // containers/ a symlink to elsewhere: no termination file there (the container still starts, without it).
    symlinkSync(outside, join(dir, 'pods', UID, 'containers'));
    const mounts = await files.mountsFor(p, p.spec!.containers[0]!, 0, ['10.244.1.7']);
    assert.deepEqual(mounts.map((m) => m.containerPath), ['/etc/hosts', '/etc/hostname']);
    assert.deepEqual(warnings, ['error on creating termination-log file']);
    assert.equal(existsSync(join(outside, 'app')), false);
    // Nor is a message read through it.
    mkdirSync(join(outside, 'app'));
    writeFileSync(join(outside, 'app', '0'), 'host secret');
    files.note(p);
    const gone: ContainerStatus = { id: 'c0', sandboxId: 's', pod: { uid: UID, namespace: 'prod', name: 'web-0' }, name: 'app', attempt: 0, imageRef: 'i', imageDigest: '', state: 'exited', exitCode: 1, reason: 'Error', createdAt: '', logPath: join(dir, 'none.log') };
    assert.equal((await files.withMessages(UID, [gone]))[0]!.message, undefined);

    const bad = { ...p, metadata: { ...p.metadata, uid: '../../etc' } };
    await assert.rejects(files.mountsFor(bad, p.spec!.containers[0]!, 0, ['10.244.1.7']), /cannot name a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the sandbox\'s resolv.conf is the pod\'s own file: in its directory, never through a symlink, counted as writable, removed with the pod', async () => {
  const { dir, files } = setUp();
  try {
    const root = join(dir, 'pods');
    const path = await writeSandboxFile(root, UID, 'resolv.conf', 'nameserver 10.96.0.10\n');
    assert.equal(path, join(root, UID, 'resolv.conf'));
    assert.equal(readFileSync(path, 'utf8'), 'nameserver 10.96.0.10\n');
    assert.equal(statSync(path).mode & 0o777, 0o644);
    assert.ok(files.writableFiles(UID).includes(path), 'what a container writes there counts in the pod\'s ephemeral storage');
    // A container filled it; the next sandbox's file replaces the content.
    writeFileSync(path, 'x'.repeat(10_000));
    await writeSandboxFile(root, UID, 'resolv.conf', 'nameserver 10.96.0.11\n');
    assert.equal(readFileSync(path, 'utf8'), 'nameserver 10.96.0.11\n');
    rmSync(path);
    writeFileSync(join(dir, 'target'), 'keep');
    symlinkSync(join(dir, 'target'), path);
    await assert.rejects(writeSandboxFile(root, UID, 'resolv.conf', 'nameserver 1.1.1.1\n'), /ELOOP/);
    assert.equal(readFileSync(join(dir, 'target'), 'utf8'), 'keep');
    await assert.rejects(writeSandboxFile(root, '../x', 'resolv.conf', ''), /cannot name a directory/);
    rmSync(path);
    await writeSandboxFile(root, UID, 'resolv.conf', 'nameserver 10.96.0.10\n');
    await files.forget(UID);
    assert.equal(existsSync(join(root, UID)), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exited containers get their messages (kept once read from the file), cut to the pod\'s budget; running ones and unknown pods are left alone', async () => {
  const { dir, files } = setUp();
  try {
    const c: Container[] = [{ name: 'app', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }, { name: 'side', terminationMessagePath: '/tmp/msg' }, { name: 'x' }];
    const p = pod({}, c);
    const status = (name: string, attempt: number, state: ContainerStatus['state'], id = `${name}-${attempt}`): ContainerStatus => ({ id, sandboxId: 's', pod: { uid: UID, namespace: 'prod', name: 'web-0' }, name, attempt, imageRef: 'i', imageDigest: '', state, createdAt: '', logPath: join(dir, 'none.log'), ...(state === 'exited' ? { exitCode: 1, reason: 'Error' as const } : {}) });
    const appMount = (await files.mountsFor(p, c[0]!, 1, ['10.244.1.7']))[2]!;
    writeFileSync(appMount.hostPath, 'z'.repeat(4100) + 'done');
    const sideMount = (await files.mountsFor(p, c[1]!, 0, ['10.244.1.7']))[2]!;
    writeFileSync(sideMount.hostPath, 'sidecar bye');

    const all = [status('app', 1, 'exited'), status('side', 0, 'exited'), status('x', 0, 'running')];
    assert.deepEqual(await files.withMessages(UID, all), all, 'not noted yet: as the runtime says');
    files.note(p);
    const [app, side, x] = await files.withMessages(UID, all);
    // 4096 bytes from the file's end, then the pod's budget: 12288 / 3 containers.
    assert.equal(app!.message, 'z'.repeat(4092) + 'done');
    assert.equal(side!.message, 'sidecar bye');
    assert.equal(x!.message, undefined);

    // Read once: a later write to the file (it is no longer mounted anywhere) changes nothing.
    writeFileSync(sideMount.hostPath, 'changed');
    assert.equal((await files.withMessages(UID, all))[1]!.message, 'sidecar bye');

    // An ephemeral container's message is read as any other's.
    const debug = { name: 'debug', terminationMessagePath: '/dev/termination-log' };
    writeFileSync((await files.mountsFor(p, debug, 0, ['10.244.1.7']))[2]!.hostPath, 'debugged');
    files.note({ ...p, spec: { ...p.spec!, ephemeralContainers: [debug] } });
    assert.equal((await files.withMessages(UID, [status('debug', 0, 'exited')]))[0]!.message, 'debugged');

    const many = pod({}, Array.from({ length: 4 }, (_, i) => ({ ...c[0]!, name: i ? `c${i}` : 'app' })));
    files.note(many);
    assert.equal(Buffer.byteLength((await files.withMessages(UID, all))[0]!.message!), 3072);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file a container filled is truncated off the event loop; the agent\'s small files still in the same tick (RV8)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-files-'));
  try {
    // /etc/hosts is mounted read-write and kept across restarts: a container can grow it to
    // gigabytes, and freeing those blocks takes the kernel seconds (4 GiB on ext4: 1.3 s). Sparse
    // here, so the test costs nothing; what is checked is where the truncate runs.
    const big = join(dir, 'etc-hosts');
    writeFileSync(big, 'x');
    truncateSync(big, 8 * 1024 ** 3);
    const pending = writeNoFollow(big, 'new\n', 0o644);
    // Nothing of the rewrite happened in this tick: the truncate waits on the thread pool, and the
    // content is written only after it.
    assert.notEqual(statSync(big).size, 4);
    await pending;
    assert.equal(readFileSync(big, 'utf8'), 'new\n');
    assert.equal(statSync(big).mode & 0o7777, 0o644);

    const small = join(dir, 'etc-hostname');
    writeFileSync(small, 'a much longer old hostname\n');
    const done = writeNoFollow(small, 'h\n', 0o644);
    assert.equal(readFileSync(small, 'utf8'), 'h\n');
    await done;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
