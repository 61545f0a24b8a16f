import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterDnsList, nodeLabelsError, nodeRegistration, parseNodeLabels, parseRegisterWithTaints, podPidsLimit, registerWithTaintsErrors } from './kubelet-flags.ts';

const ALLOWED = "--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (kubelet.kubernetes.io, node.kubernetes.io) or be in the specifically allowed set (beta.kubernetes.io/arch, beta.kubernetes.io/instance-type, beta.kubernetes.io/os, failure-domain.beta.kubernetes.io/region, failure-domain.beta.kubernetes.io/zone, kubernetes.io/arch, kubernetes.io/hostname, kubernetes.io/os, node.kubernetes.io/instance-type, topology.kubernetes.io/region, topology.kubernetes.io/zone)";

test('--node-labels parses as MapStringString: pairs trimmed, empty items skipped, repeated flags merged', () => {
  assert.deepEqual(parseNodeLabels(['a=1, b = x=y ,', 'a=2,c=']), { a: '2', b: 'x=y', c: '' });
  assert.throws(() => parseNodeLabels(['a=1,b']), { message: 'invalid argument "a=1,b" for "--node-labels" flag: malformed pair, expect string=string' });
  // Only an empty item is skipped; a blank one is a malformed pair, as upstream.
  assert.throws(() => parseNodeLabels(['a=1, ']), /malformed pair/);
});

test('--node-labels in kubernetes.io / k8s.io outside the kubelet set are refused with upstream\'s two lines', () => {
  assert.equal(nodeLabelsError({ 'node-role.kubernetes.io/worker': '', 'example.com/pool': 'a', 'app.k8s.io/x': 'y' }),
    `failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [app.k8s.io/x node-role.kubernetes.io/worker]\n${ALLOWED}`);
  // node-restriction.kubernetes.io is in kubernetes.io too: the kubelet itself refuses it.
  assert.match(nodeLabelsError({ 'node-restriction.kubernetes.io/pool': 'a' }) ?? '', /labels specified with --node-labels: \[node-restriction.kubernetes.io\/pool\]/);
  // The allowed set and namespaces (and their subdomains) pass.
  assert.equal(nodeLabelsError({ 'kubernetes.io/hostname': 'h', 'topology.kubernetes.io/zone': 'z', 'node.kubernetes.io/instance-type': 't', 'kubelet.kubernetes.io/x': '1', 'a.node.kubernetes.io/y': '2', 'example.com/pool': 'a', plain: 'b' }), undefined);
});

test('--node-labels with invalid keys or values: "invalid node labels", keyed by the key or the value as upstream', () => {
  assert.equal(nodeLabelsError({ 'bad key': 'v' }), "failed to validate kubelet flags: invalid node labels: 'bad key' - name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  assert.match(nodeLabelsError({ ok: '-bad' }) ?? '', /^failed to validate kubelet flags: invalid node labels: '-bad' - a valid label must be an empty string/);
  // The unknown kubernetes.io labels are reported first.
  assert.match(nodeLabelsError({ 'node-role.kubernetes.io/x': '-bad' }) ?? '', /unknown 'kubernetes.io'/);
});

test('--register-with-taints parses as taintsVar: key=value:Effect, key:Effect, key; the last flag wins', () => {
  assert.deepEqual(parseRegisterWithTaints(['a=b:NoSchedule', 'dedicated=gpu:NoExecute,spot:PreferNoSchedule,bare']), [
    { key: 'dedicated', value: 'gpu', effect: 'NoExecute' }, { key: 'spot', effect: 'PreferNoSchedule' }, { key: 'bare', effect: '' },
  ]);
  assert.deepEqual(parseRegisterWithTaints(['']), []);
  const err = (v: string, why: string) => ({ message: `invalid argument ${JSON.stringify(v)} for "--register-with-taints" flag: ${why}` });
  assert.throws(() => parseRegisterWithTaints(['a=b:NoRun']), err('a=b:NoRun', 'invalid taint effect: NoRun, unsupported taint effect'));
  assert.throws(() => parseRegisterWithTaints(['a=b=c:NoSchedule']), err('a=b=c:NoSchedule', 'invalid taint spec: a=b=c:NoSchedule'));
  assert.throws(() => parseRegisterWithTaints(['a:b:NoSchedule']), err('a:b:NoSchedule', 'invalid taint spec: a:b:NoSchedule'));
  assert.throws(() => parseRegisterWithTaints(["a=-x:NoSchedule"]), /^Error: invalid argument "a=-x:NoSchedule" for "--register-with-taints" flag: invalid taint spec: a=-x:NoSchedule, a valid label must be/);
  assert.throws(() => parseRegisterWithTaints(['x/y/z:NoSchedule']), /invalid taint spec: x\/y\/z:NoSchedule, a qualified name must consist of/);
});

test('registerWithTaints (startAgent, a config file) is checked as CheckTaintValidation: "invalid taint: {key value effect <nil>}"', () => {
  assert.deepEqual(registerWithTaintsErrors([{ key: 'ok', effect: 'NoSchedule' }, { key: 'bare', effect: '' as never }]), []);
  assert.deepEqual(registerWithTaintsErrors([{ key: 'a', value: 'v', effect: 'Bogus' as never }, { key: 'bad key', effect: 'NoSchedule' }, { key: 'k', effect: 'NoSchedule', timeAdded: '2026-01-01T00:00:00Z' }]),
    ['invalid taint: {a v Bogus <nil>}', 'invalid taint: {bad key  NoSchedule <nil>}', 'invalid configuration: taint.TimeAdded is not nil']);
  assert.throws(() => nodeRegistration({ registerWithTaints: [{ key: 'a', effect: 'Bogus' as never }] }), { message: 'failed to validate kubelet configuration, error: invalid taint: {a  Bogus <nil>}' });
  assert.throws(() => nodeRegistration({ nodeLabels: { 'node-role.kubernetes.io/worker': '' } }), /^Error: failed to validate kubelet flags: unknown 'kubernetes.io'/);
  assert.deepEqual(nodeRegistration({ nodeLabels: { pool: 'a' }, registerWithTaints: [{ key: 'k', effect: 'NoSchedule' }] }), { labels: { pool: 'a' }, taints: [{ key: 'k', effect: 'NoSchedule' }] });
});

test('--cluster-dns: a list of IPs, repeated flags add, what is not an IP skipped with the kubelet\'s log line', () => {
  const warned: object[] = [];
  assert.deepEqual(clusterDnsList(['10.96.0.10,fd00::a', '169.254.20.10', 'dns.example', ''], (o, m) => warned.push({ ...o, m })), ['10.96.0.10', 'fd00::a', '169.254.20.10']);
  assert.deepEqual(warned, [{ IP: 'dns.example', m: 'Invalid clusterDNS IP' }]);
});

test('--pod-max-pids: positive values limit, -1 (default) and 0 do not', () => {
  assert.equal(podPidsLimit(100), 100);
  assert.equal(podPidsLimit(-1), undefined);
  assert.equal(podPidsLimit(0), undefined);
});
