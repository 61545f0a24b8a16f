import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { checkNamespaced, SAFE_SYSCTL_ALLOWLIST, SysctlAllowlist, SysctlForbiddenError, sysctlPath, toDots } from './sysctl-allowlist.ts';

const spec = (names: string[], extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [], securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) }, ...extra });
const forbidden = (message: string) => (e: unknown) => e instanceof SysctlForbiddenError && e.message === message;

test('the safe list: safe sysctls pass, others and host-namespace ones are SysctlForbidden in upstream words', () => {
  assert.deepEqual(SAFE_SYSCTL_ALLOWLIST.check(spec(['net.ipv4.tcp_syncookies', 'kernel.shm_rmid_forced'])), { 'net.ipv4.tcp_syncookies': '1', 'kernel.shm_rmid_forced': '1' });
  assert.throws(() => SAFE_SYSCTL_ALLOWLIST.check(spec(['kernel.msgmax'])), forbidden('forbidden sysctl: "kernel.msgmax" not allowlisted'));
  assert.throws(() => SAFE_SYSCTL_ALLOWLIST.check(spec(['net.ipv4.tcp_syncookies'], { hostNetwork: true })), forbidden('forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host net enabled'));
  assert.throws(() => SAFE_SYSCTL_ALLOWLIST.check(spec(['kernel.shm_rmid_forced'], { hostIPC: true })), forbidden('forbidden sysctl: "kernel.shm_rmid_forced" not allowed with host ipc enabled'));
  assert.deepEqual(SAFE_SYSCTL_ALLOWLIST.check(spec(['net.ipv4.tcp_syncookies'], { hostIPC: true })), { 'net.ipv4.tcp_syncookies': '1' });
  // Slash-separated names are read as upstream converts them, and named so in the message.
  assert.deepEqual(SAFE_SYSCTL_ALLOWLIST.check(spec(['net/ipv4/tcp_syncookies'])), { 'net.ipv4.tcp_syncookies': '1' });
  assert.throws(() => SAFE_SYSCTL_ALLOWLIST.check(spec(['kernel/msgmax'])), forbidden('forbidden sysctl: "kernel.msgmax" not allowlisted'));
});

test('--allowed-unsafe-sysctls: names and trailing-* patterns of namespaced sysctls are admitted; the host checks still apply', () => {
  const list = SysctlAllowlist.withUnsafe(['net.core.somaxconn', 'kernel.msg*', 'net.ipv4.conf.*']);
  assert.deepEqual(list.check(spec(['net.core.somaxconn', 'kernel.msgmax', 'net.ipv4.conf.all.forwarding', 'net.ipv4.tcp_syncookies'])), {
    'net.core.somaxconn': '1', 'kernel.msgmax': '1', 'net.ipv4.conf.all.forwarding': '1', 'net.ipv4.tcp_syncookies': '1',
  });
  assert.throws(() => list.check(spec(['net.core.rmem_max'])), forbidden('forbidden sysctl: "net.core.rmem_max" not allowlisted'));
  assert.throws(() => list.check(spec(['kernel.sem'])), forbidden('forbidden sysctl: "kernel.sem" not allowlisted'));
  assert.throws(() => list.check(spec(['net.core.somaxconn'], { hostNetwork: true })), forbidden('forbidden sysctl: "net.core.somaxconn" not allowed with host net enabled'));
  assert.throws(() => list.check(spec(['kernel.msgmax'], { hostIPC: true })), forbidden('forbidden sysctl: "kernel.msgmax" not allowed with host ipc enabled'));
  // An interface name with a dot: given with slashes, kept as one segment, written to its own path.
  assert.deepEqual(list.check(spec(['net/ipv4/conf/eth0.100/forwarding'])), { 'net.ipv4.conf.eth0/100.forwarding': '1' });
  assert.equal(sysctlPath('net.ipv4.conf.eth0/100.forwarding'), 'net/ipv4/conf/eth0.100/forwarding');
  assert.equal(toDots('net.ipv4.conf.eth0/100.forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  // Not a sysctl name (no API validation here): a pattern never lets it out of /proc/sys/net.
  for (const bad of ['net.ipv4.conf.all/../../../kernel/core_pattern', 'net.ipv4.conf..x', 'net.ipv4.conf.ALL.forwarding', `net.ipv4.conf.${'a'.repeat(253)}`]) {
    assert.throws(() => list.check(spec([bad])), SysctlForbiddenError, bad);
  }
});

test('the list is refused at start for a malformed pattern or one not known to be namespaced (NewAllowlist)', () => {
  const fmt = '([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]';
  assert.throws(() => SysctlAllowlist.withUnsafe(['net.*.foo']), { message: `sysctl "net.*.foo" must have at most 253 characters and match regex ${fmt}` });
  assert.throws(() => SysctlAllowlist.withUnsafe(['Net.core.somaxconn']), /must have at most 253 characters/);
  assert.throws(() => SysctlAllowlist.withUnsafe(['vm.overcommit_memory']), { message: 'the sysctl "vm.overcommit_memory" are not known to be namespaced' });
  assert.throws(() => SysctlAllowlist.withUnsafe(['kernel.*']), { message: 'the sysctls "kernel.*" are not known to be namespaced' });
  assert.throws(() => SysctlAllowlist.withUnsafe(['*']), { message: 'the sysctls "*" are not known to be namespaced' });
  assert.ok(SysctlAllowlist.withUnsafe(['net.*', 'kernel.shm*', 'fs.mqueue.*', 'kernel.sem', 'net/core/somaxconn']));
});

test('a runtime given sysctls sets namespaced ones only, in the pod\'s own namespaces', () => {
  assert.deepEqual(checkNamespaced({ 'net.core.somaxconn': '1024' }, { containers: [] }), { 'net.core.somaxconn': '1024' });
  assert.throws(() => checkNamespaced({ 'kernel.panic': '1' }, { containers: [] }), forbidden('forbidden sysctl: "kernel.panic" is not in a separate kernel namespace'));
  assert.throws(() => checkNamespaced({ 'net.core.somaxconn': '1' }, { containers: [], hostNetwork: true }), /host net enabled/);
  assert.throws(() => checkNamespaced({ 'net.x/../../kernel.panic': '1' }, { containers: [] }), SysctlForbiddenError);
});
