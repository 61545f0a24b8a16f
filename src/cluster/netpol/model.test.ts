import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalSet } from './intervals.ts';
import { ConnSet } from './connections.ts';
import { cidrToSet, formatRanges, ipAtoms } from './ipv4.ts';
import { PolicyModel } from './compile.ts';
import { allowedBetween } from './evaluate.ts';
import type { PodInfo } from './types.ts';

test('interval sets: union merges adjacent ranges, subtract splits, intersect clips', () => {
  const a = IntervalSet.from([[1, 5], [6, 10], [20, 30]]);
  assert.deepEqual(a.intervals, [[1, 10], [20, 30]]);
  assert.deepEqual(a.subtract(IntervalSet.of(3, 25)).intervals, [[1, 2], [26, 30]]);
  assert.deepEqual(a.intersect(IntervalSet.of(8, 22)).intervals, [[8, 10], [20, 22]]);
  assert.ok(a.contains(IntervalSet.of(21, 29)));
  assert.ok(!a.contains(IntervalSet.of(9, 21)));
});

test('connection sets print as np-guard does', () => {
  assert.equal(ConnSet.all().toString(), 'All Connections');
  const c = ConnSet.all().subtract(ConnSet.of('TCP', IntervalSet.of(80, 80))).intersect(ConnSet.of('TCP', IntervalSet.of(1, 65535)).union(ConnSet.of('UDP', IntervalSet.of(53, 53))));
  assert.equal(c.toString(), 'TCP 1-79,81-65535,UDP 53');
});

test('ipBlocks cut the address space into atoms; an except is a hole', () => {
  const block = cidrToSet('10.0.0.0/8')!.subtract(cidrToSet('10.1.0.0/16')!);
  assert.deepEqual(ipAtoms([block]).map(formatRanges), ['0.0.0.0-9.255.255.255', '10.0.0.0-10.0.255.255', '10.1.0.0-10.1.255.255', '10.2.0.0-10.255.255.255', '11.0.0.0-255.255.255.255']);
  assert.equal(cidrToSet('10.1.2.3/16') && formatRanges(cidrToSet('10.1.2.3/16')!), '10.1.0.0-10.1.255.255');
  assert.equal(cidrToSet('fd00::/8'), undefined);
});

const pod = (ns: string, name: string, labels: Record<string, string>, ports: PodInfo['ports'] = []): PodInfo => ({ key: `${ns}/${name}`, namespace: ns, name, labels, ports, owner: { kind: 'Pod', name }, ips: [] });

test('precedence: an AdminNetworkPolicy Deny beats a NetworkPolicy allow; Pass defers to it; the baseline only decides unselected pods', () => {
  const a = pod('t1', 'a', { app: 'a' });
  const b = pod('t2', 'b', { app: 'b' }, [{ name: 'web', containerPort: 8080 }]);
  const namespaces = new Map([['t1', { name: 't1', labels: { 'kubernetes.io/metadata.name': 't1', tenant: 'one' } }], ['t2', { name: 't2', labels: { 'kubernetes.io/metadata.name': 't2', tenant: 'two' } }]]);
  const allowAll = { metadata: { name: 'allow-all', namespace: 't2' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 'web' }] }] } };
  const anp = (action: string) => ({ metadata: { name: 'x' }, spec: { priority: 5, subject: { namespaces: { matchLabels: { tenant: 'two' } } }, ingress: [{ name: 'r', action, from: [{ namespaces: { matchLabels: { tenant: 'one' } } }], ports: [{ portNumber: { port: 8080, protocol: 'TCP' } }] }] } });
  const between = (policies: { networkPolicies: unknown[]; adminNetworkPolicies: unknown[]; baselineAdminNetworkPolicy?: unknown }) => {
    const m = new PolicyModel({ pods: [a, b], namespaces, policies: policies as never });
    return allowedBetween({ policy: m.policyFor(a), peer: { kind: 'pod', pod: a } }, { policy: m.policyFor(b), peer: { kind: 'pod', pod: b } }).toString();
  };
  assert.equal(between({ networkPolicies: [allowAll], adminNetworkPolicies: [] }), 'TCP 8080', 'named port resolved on the protected pod');
  assert.equal(between({ networkPolicies: [allowAll], adminNetworkPolicies: [anp('Deny')] }), 'No Connections');
  assert.equal(between({ networkPolicies: [allowAll], adminNetworkPolicies: [anp('Pass')] }), 'TCP 8080');
  const banpDeny = { metadata: { name: 'default' }, spec: { subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] } };
  assert.equal(between({ networkPolicies: [], adminNetworkPolicies: [anp('Pass')], baselineAdminNetworkPolicy: banpDeny }), 'No Connections');
  assert.equal(between({ networkPolicies: [allowAll], adminNetworkPolicies: [anp('Pass')], baselineAdminNetworkPolicy: banpDeny }), 'TCP 8080', 'a NetworkPolicy takes the passed traffic before the baseline');
  assert.equal(between({ networkPolicies: [], adminNetworkPolicies: [anp('Allow')], baselineAdminNetworkPolicy: banpDeny }), 'TCP 8080');
});
