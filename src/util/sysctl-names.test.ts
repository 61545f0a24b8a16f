import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidSysctlName, sysctlNamespace, sysctlPath, toDots } from './sysctl-names.ts';

test('IsValidSysctlName: dot or slash separated lower-case segments, at most 253 characters', () => {
  for (const ok of ['net.ipv4.ip_forward', 'net/ipv4/conf/eth0.100/forwarding', 'kernel.shm_rmid_forced', 'a', `a.${'b'.repeat(251)}`]) assert.ok(isValidSysctlName(ok), ok);
  for (const bad of ['', 'Net.core', 'net..x', 'net.x/../../kernel.panic', '.net', 'net.', 'net.-x', `a.${'b'.repeat(252)}`]) assert.ok(!isValidSysctlName(bad), bad);
});

test('NormalizeName and the /proc/sys path swap dots and slashes when the first separator is a slash', () => {
  assert.equal(toDots('net/ipv4/conf/eth0.100/forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  assert.equal(toDots('net.ipv4.ip_forward'), 'net.ipv4.ip_forward');
  assert.equal(sysctlPath('net.ipv4.conf.eth0/100.forwarding'), 'net/ipv4/conf/eth0.100/forwarding');
});

test('GetNamespace (the 1.29+ table): net.* and fs.mqueue.* by prefix, the IPC names exactly, patterns by their prefix', () => {
  const cases: Array<[string, string | undefined]> = [
    ['net.ipv4.ip_forward', 'net'], ['net/core/somaxconn', 'net'], ['net', undefined], ['netfilter.x', undefined],
    ['fs.mqueue.msg_max', 'ipc'], ['fs.mqueue', undefined], ['kernel.sem', 'ipc'], ['kernel.shmmax', 'ipc'], ['kernel.msgmnb', 'ipc'],
    // Exact names only now: an unknown kernel.shm* name is not known to be namespaced.
    ['kernel.shmfoo', undefined], ['kernel.panic', undefined], ['vm.swappiness', undefined],
    ['net.*', 'net'], ['kernel.shm*', 'ipc'], ['kernel.msg*', 'ipc'], ['fs.mqueue.*', 'ipc'], ['kernel.*', undefined], ['*', undefined],
  ];
  for (const [name, ns] of cases) assert.equal(sysctlNamespace(name), ns, name);
});
