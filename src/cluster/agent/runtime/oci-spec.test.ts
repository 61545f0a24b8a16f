import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, PodSecurityContext, PodSpec } from 'kubernetes-types/core/v1.js';
import { capabilities, containerSpec, sandboxSpec } from './oci-spec.ts';
import { SysctlForbiddenError } from './sysctl-allowlist.ts';
import { resolveUser, RunAsNonRootError, verifyRunAsNonRoot, imageUser } from './image-user.ts';
import { containerResources, milliCpuToQuota, milliCpuToShares, oomScoreAdj } from './cgroup-resources.ts';
import { processArgs, processEnv, expandEnv } from './process-args.ts';
import type { ContainerConfig, ImageConfig, SandboxStatus } from './types.ts';
import { majorMinor } from './host-devices.ts';
import { capsFromMask } from './oci-defaults.ts';

const pod = { uid: 'u1', namespace: 'ns', name: 'web' };
const sandbox: SandboxStatus = { id: 's1', pod, state: 'ready', createdAt: '', pid: 42, namespaces: { net: '/proc/42/ns/net', ipc: '/proc/42/ns/ipc', uts: '/proc/42/ns/uts' } };

function cfg(container: Container, podSpec: Partial<PodSpec> = {}, image: ImageConfig = { Cmd: ['sh'] }): ContainerConfig {
  return {
    pod,
    podSpec: { containers: [container], ...podSpec },
    container,
    attempt: 0,
    image: { ref: 'busybox', digest: 'sha256:0', config: image, rootfs: '/x' },
    env: (container.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
    mounts: [],
  };
}

function spec(c: Container, podSpec: Partial<PodSpec> = {}, image?: ImageConfig) {
  const conf = cfg(c, podSpec, image);
  const user = resolveUser(conf.podSpec, c, image?.User, 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n', 'app:x:1000:\nextra:x:2000:app\n');
  return containerSpec({ cfg: conf, sandbox, hostname: 'web', user, cgroupsPath: 'portcullis/c1' });
}

test('argv: command/args against image Entrypoint/Cmd (containerd getProcessArgs)', () => {
  const img: ImageConfig = { Entrypoint: ['/ep'], Cmd: ['cmd1'] };
  const cases: Array<[Partial<Container>, string[]]> = [
    [{}, ['/ep', 'cmd1']],
    [{ args: ['a'] }, ['/ep', 'a']],
    [{ command: ['/c'] }, ['/c']],
    [{ command: ['/c'], args: ['a'] }, ['/c', 'a']],
    [{ command: [] }, ['/ep', 'cmd1']],
  ];
  for (const [c, want] of cases) assert.deepEqual(processArgs({ name: 'x', ...c }, img, []), want, JSON.stringify(c));
  assert.deepEqual(processArgs({ name: 'x' }, { Entrypoint: [''], Cmd: ['only'] }, []), ['only']);
  assert.throws(() => processArgs({ name: 'x' }, {}, []), /no command specified/);
});

test('env: $(VAR) expansion of literal values and of command/args; image env first, then HOSTNAME, then the pod', () => {
  const c: Container = { name: 'x', env: [{ name: 'A', value: 'a' }, { name: 'B', value: '$(A)-$(NOPE)' }, { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], command: ['echo', '$(B)', '$$(A)'] };
  const env = expandEnv(c, [{ name: 'A', value: 'a' }, { name: 'B', value: '$(A)-$(NOPE)' }, { name: 'S', value: '$(A)' }]);
  assert.deepEqual(env, [{ name: 'A', value: 'a' }, { name: 'B', value: 'a-$(NOPE)' }, { name: 'S', value: '$(A)' }]);
  assert.deepEqual(processArgs(c, {}, env), ['echo', 'a-$(NOPE)', '$(A)']);
  assert.deepEqual(processEnv({ Env: ['PATH=/bin', 'A=image', 'HOSTNAME=img'] }, 'web', env), ['PATH=/bin', 'A=a', 'HOSTNAME=web', 'B=a-$(NOPE)', 'S=$(A)']);
  assert.ok(processEnv({}, 'h', [])[0]?.startsWith('PATH=/usr/local/sbin'));
});

test('user: runAsUser/runAsGroup, image user, passwd gid, groups and supplementalGroups', () => {
  const passwd = 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n';
  const group = 'app:x:1000:\nextra:x:2000:app\nother:x:3000:root\n';
  const c: Container = { name: 'x' };
  assert.deepEqual(resolveUser({ containers: [c] }, c, '', passwd, group), { uid: 0, gid: 0, additionalGids: [0, 3000] });
  assert.deepEqual(resolveUser({ containers: [c] }, c, 'app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000, 2000] });
  // Only the image user's uid is used; the gid comes from /etc/passwd (upstream's getUserFromImage).
  assert.deepEqual(resolveUser({ containers: [c] }, c, '1000:5', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000, 2000] });
  assert.deepEqual(resolveUser({ containers: [c] }, c, '4242', passwd, group), { uid: 4242, gid: 0, additionalGids: [0] });
  const sc = { runAsUser: 1000, runAsGroup: 7, supplementalGroups: [9, 7], fsGroup: 11 };
  assert.deepEqual(resolveUser({ containers: [c], securityContext: sc }, c, 'root', passwd, group), { uid: 1000, gid: 7, additionalGids: [7, 2000, 9, 11] });
  assert.throws(() => resolveUser({ containers: [c] }, c, 'nobody', passwd, group), /no users found/);
  // supplementalGroupsPolicy Strict: the image's group memberships (2000 for app) are left out.
  const strict = { supplementalGroupsPolicy: 'Strict', supplementalGroups: [9], fsGroup: 11 } as PodSecurityContext & { supplementalGroupsPolicy: string };
  assert.deepEqual(resolveUser({ containers: [c], securityContext: strict }, c, 'app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000, 9, 11] });
  assert.deepEqual(resolveUser({ containers: [c], securityContext: { ...strict, supplementalGroupsPolicy: 'Merge' } as PodSecurityContext }, c, 'app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000, 2000, 9, 11] });
});

test('runAsNonRoot against the image user, with the kubelet messages', () => {
  const c: Container = { name: 'app' };
  const nonRoot = { containers: [c], securityContext: { runAsNonRoot: true } };
  assert.throws(() => verifyRunAsNonRoot(pod, nonRoot, c, imageUser('')), (e: Error) => e instanceof RunAsNonRootError && e.message === 'container has runAsNonRoot and image will run as root (pod: "web_ns(u1)", container: app)');
  assert.throws(() => verifyRunAsNonRoot(pod, nonRoot, c, imageUser('app')), /image has non-numeric user \(app\), cannot verify user is non-root/);
  assert.doesNotThrow(() => verifyRunAsNonRoot(pod, nonRoot, c, imageUser('1000')));
  const c0: Container = { name: 'app', securityContext: { runAsUser: 0 } };
  assert.throws(() => verifyRunAsNonRoot(pod, { containers: [c0], securityContext: { runAsNonRoot: true } }, c0, imageUser('1000')), /container's runAsUser breaks non-root policy/);
  const c1: Container = { name: 'app', securityContext: { runAsUser: 5 } };
  assert.doesNotThrow(() => verifyRunAsNonRoot(pod, nonRoot, c1, imageUser('')));
  assert.doesNotThrow(() => verifyRunAsNonRoot(pod, { containers: [c] }, c, imageUser('')));
});

test('capabilities: containerd defaults, add/drop, ALL, privileged', () => {
  const caps = (add?: string[], drop?: string[]) => capabilities({ name: 'x', securityContext: { capabilities: { add, drop } } }, false);
  assert.equal(caps().length, 14);
  assert.ok(caps(['NET_ADMIN']).includes('CAP_NET_ADMIN'));
  assert.ok(!caps(undefined, ['chown']).includes('CAP_CHOWN'));
  assert.deepEqual(caps(['NET_BIND_SERVICE'], ['ALL']), ['CAP_NET_BIND_SERVICE']);
  assert.ok(!caps(['ALL'], ['SYS_ADMIN']).includes('CAP_SYS_ADMIN'));
  assert.equal(caps(['ALL']).length, 41);
  assert.equal(capabilities({ name: 'x' }, true).length, 41);
  // ALL and privileged stop at what the agent holds (here: no CAP_SYS_RESOURCE, bit 24).
  const own = capsFromMask('1fffeffffff');
  assert.equal(own.includes('CAP_SYS_RESOURCE'), false);
  assert.equal(own.length, 40);
  assert.deepEqual(capabilities({ name: 'x' }, true, own), own);
  assert.equal(capabilities({ name: 'x', securityContext: { capabilities: { add: ['ALL'] } } }, false, own).includes('CAP_SYS_RESOURCE'), false);
});

test('container spec: security context, namespaces by path, mounts, masked paths, seccomp', () => {
  const s = spec({ name: 'x', securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } } });
  assert.equal(s.root.readonly, true);
  assert.equal(s.process.noNewPrivileges, true);
  assert.equal(s.process.user.uid, 1000);
  assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'pid' }, { type: 'ipc', path: '/proc/42/ns/ipc' }, { type: 'uts', path: '/proc/42/ns/uts' }, { type: 'network', path: '/proc/42/ns/net' }]);
  assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  const allowed = new Set(s.linux.seccomp?.syscalls?.flatMap((r) => (r.action === 'SCMP_ACT_ALLOW' && !r.args ? r.names : [])));
  assert.ok(allowed.has('read') && allowed.has('ptrace') && !allowed.has('mount') && !allowed.has('reboot'));
  assert.ok(allowed.has('chroot'), 'CAP_SYS_CHROOT is in the default set, so chroot is allowed');
  assert.equal(s.mounts.find((m) => m.destination === '/sys')?.options?.includes('ro'), true);

  const d = spec({ name: 'x' });
  assert.equal(d.process.noNewPrivileges, false, 'allowPrivilegeEscalation unset: no no_new_privs, as the kubelet');
  assert.equal(d.linux.seccomp, undefined, 'no seccompProfile: Unconfined, the kubelet default');

  const p = spec({ name: 'x', securityContext: { privileged: true, seccompProfile: { type: 'RuntimeDefault' } } });
  assert.deepEqual(p.linux.maskedPaths, []);
  assert.equal(p.linux.seccomp, undefined);
  assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);

  const h = spec({ name: 'x' }, { hostPID: true, shareProcessNamespace: false });
  assert.equal(h.linux.namespaces.some((n) => n.type === 'pid'), false);
  const shared = spec({ name: 'x' }, { shareProcessNamespace: true });
  assert.deepEqual(shared.linux.namespaces.find((n) => n.type === 'pid'), { type: 'pid', path: '/proc/42/ns/pid' });
});

test('the sandbox\'s resolv.conf: read-only only with readOnlyRootFilesystem, skipped under a volume (containerd linuxContainerMounts)', () => {
  const podFiles = { '/etc/resolv.conf': '/data/pods/u1/resolv.conf' };
  const mountOf = (c: Container, mounts: ContainerConfig['mounts'] = []) => {
    const conf = { ...cfg(c), mounts };
    const user = resolveUser(conf.podSpec, c, undefined, 'root:x:0:0::/root:/bin/sh\n', '');
    return containerSpec({ cfg: conf, sandbox, hostname: 'web', user, cgroupsPath: 'portcullis/c1', podFiles }).mounts.filter((m) => m.destination === '/etc/resolv.conf');
  };
  assert.deepEqual(mountOf({ name: 'x' }), [{ destination: '/etc/resolv.conf', type: 'bind', source: '/data/pods/u1/resolv.conf', options: ['rbind', 'rprivate', 'rw'] }]);
  assert.deepEqual(mountOf({ name: 'x', securityContext: { readOnlyRootFilesystem: true } })[0]?.options, ['rbind', 'rprivate', 'ro']);
  assert.deepEqual(mountOf({ name: 'x' }, [{ containerPath: '/etc/resolv.conf', hostPath: '/vol/resolv', readOnly: true }]), [{ destination: '/etc/resolv.conf', type: 'bind', source: '/vol/resolv', options: ['rbind', 'rprivate', 'ro'] }]);
});

test('a volume at an unclean resolv.conf path replaces the sandbox\'s file (containerd isInCRIMounts: filepath.Clean)', () => {
  const c: Container = { name: 'x' };
  for (const at of ['/etc//resolv.conf', '/etc/./resolv.conf', '/etc/resolv.conf/', '/tmp/../etc/resolv.conf']) {
    const conf = { ...cfg(c), mounts: [{ containerPath: at, hostPath: '/vol/resolv', readOnly: true }] };
    const user = resolveUser(conf.podSpec, c, undefined, 'root:x:0:0::/root:/bin/sh\n', '');
    const s = containerSpec({ cfg: conf, sandbox, hostname: 'web', user, cgroupsPath: 'p', podFiles: { '/etc/resolv.conf': '/data/pods/u1/resolv.conf' } });
    assert.deepEqual(s.mounts.filter((m) => m.source.endsWith('resolv.conf') || m.source === '/vol/resolv').map((m) => m.source), ['/vol/resolv'], at);
  }
  // WithMounts: a default mount (/proc) under a volume at an unclean path: only the volume.
  const conf = { ...cfg(c), mounts: [{ containerPath: '/proc/', hostPath: '/vol/p', readOnly: true }] };
  const user = resolveUser(conf.podSpec, c, undefined, 'root:x:0:0::/root:/bin/sh\n', '');
  const s = containerSpec({ cfg: conf, sandbox, hostname: 'web', user, cgroupsPath: 'p' });
  assert.deepEqual(s.mounts.filter((m) => m.destination === '/proc' || m.destination === '/proc/').map((m) => m.source), ['/vol/p']);
});

test('host devices: dev_t decoding, and only a privileged container gets them', () => {
  assert.deepEqual(majorMinor(0x0801), { major: 8, minor: 1 });
  // makedev(259, 65537): major bits 8..19 and 32..., minor bits 0..7 and 20...
  const rdev = Number((259n << 8n) | (65537n & 0xffn) | ((65537n & ~0xffn) << 12n));
  assert.deepEqual(majorMinor(rdev), { major: 259, minor: 65537 });
  const devs = [{ path: '/dev/loop0', type: 'b' as const, major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 0 }];
  const conf = cfg({ name: 'x', securityContext: { privileged: true } });
  const user = { uid: 0, gid: 0, additionalGids: [0] };
  assert.deepEqual(containerSpec({ cfg: conf, sandbox, hostname: 'h', user, cgroupsPath: 'p', hostDevices: devs }).linux.devices, devs);
  assert.equal(containerSpec({ cfg: cfg({ name: 'x' }), sandbox, hostname: 'h', user, cgroupsPath: 'p', hostDevices: devs }).linux.devices, undefined);
});

test('sandbox spec: host namespaces and safe sysctls', () => {
  const pause = { binary: '/bin/busybox', args: ['/pause', 'sleep', '2147483647'] };
  const s = sandboxSpec({ pod, spec: { containers: [], securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 2048' }] } } }, pause, 'p');
  assert.deepEqual(s.linux.namespaces.map((n) => n.type), ['mount', 'pid', 'ipc', 'network', 'uts']);
  assert.equal(s.hostname, 'web');
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_local_port_range': '1024 2048' });
  const host = sandboxSpec({ pod, spec: { containers: [], hostNetwork: true, hostIPC: true, hostPID: true } }, pause, 'p');
  assert.deepEqual(host.linux.namespaces.map((n) => n.type), ['mount']);
  assert.equal(host.hostname, undefined);
  // The sysctls the agent's allowlist admitted are set, namespaced ones only.
  const unsafe = { containers: [], securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } };
  assert.throws(() => sandboxSpec({ pod, spec: unsafe }, pause, 'p'), SysctlForbiddenError, 'not on the safe list');
  assert.deepEqual(sandboxSpec({ pod, spec: unsafe, sysctls: { 'net.core.somaxconn': '1024' } }, pause, 'p').linux.sysctl, { 'net.core.somaxconn': '1024' });
  assert.throws(() => sandboxSpec({ pod, spec: unsafe, sysctls: { 'vm.overcommit_memory': '1' } }, pause, 'p'), /forbidden sysctl: "vm.overcommit_memory" is not in a separate kernel namespace/);
});

test('cgroup resources: shares, quota, memory and pids as the kubelet computes them', () => {
  assert.equal(milliCpuToShares(0), 2);
  assert.equal(milliCpuToShares(1), 2);
  assert.equal(milliCpuToShares(250), 256);
  assert.equal(milliCpuToShares(1000), 1024);
  assert.equal(milliCpuToQuota(0), 0);
  assert.equal(milliCpuToQuota(5), 1000);
  assert.equal(milliCpuToQuota(500), 50000);
  assert.deepEqual(containerResources({ name: 'x' }), { cpu: { shares: 2 } });
  assert.deepEqual(containerResources({ name: 'x', resources: { limits: { cpu: '500m', memory: '64Mi' } } }, 100), {
    cpu: { shares: 512, quota: 50000, period: 100000 },
    memory: { limit: 67108864, swap: 67108864 },
    pids: { limit: 100 },
  });
  assert.deepEqual(containerResources({ name: 'x', resources: { requests: { cpu: '0.1' } } }).cpu, { shares: 102 });
  const g: Container = { name: 'g', resources: { limits: { cpu: '1', memory: '1Gi' } } };
  assert.equal(oomScoreAdj({ containers: [g] }, g, 8 << 30), -997);
  const be: Container = { name: 'b' };
  assert.equal(oomScoreAdj({ containers: [be] }, be, 8 << 30), 1000);
  const bu: Container = { name: 'u', resources: { requests: { memory: '1Gi' } } };
  assert.equal(oomScoreAdj({ containers: [bu] }, bu, 4 * 2 ** 30), 750);
});
