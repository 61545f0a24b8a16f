import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { errorString } from '../field-errors.ts';
import { internalPodCIDRs, validateNode } from './node.ts';

const node = (spec: Node['spec'] = {}, status: Node['status'] = {}): Node => ({ metadata: { name: 'n1' }, spec, status });
const errs = (n: Node): string[] => validateNode(n).map(errorString);
const FAMILY = 'may specify no more than one CIDR for each IP family';

test('ValidateNode: taints are reported at metadata.taints (upstream\'s path), a duplicate as Go prints a core.Taint', () => {
  assert.deepEqual(errs(node({ taints: [{ key: 'a', value: 'x', effect: 'NoSchedule' }, { key: 'bad key', effect: 'Bogus' }, { key: 'a', value: 'y', effect: 'NoSchedule' }] })), [
    'metadata.taints[1].key: Invalid value: "bad key": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
    'metadata.taints[1].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    'metadata.taints[2]: Duplicate value: core.Taint{Key:"a", Value:"y", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
  ]);
  // The same key with another effect is another taint.
  assert.deepEqual(errs(node({ taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }] })), []);
});

test('ValidateNode: podCIDRs valid, dual-stack (at most one per family, so at most two) and without duplicates', () => {
  assert.deepEqual(errs(node({ podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] })), []);
  assert.deepEqual(errs(node({ podCIDRs: ['fd00:10:244:1::/64', '10.244.1.0/24'] })), []);
  assert.deepEqual(errs(node({ podCIDRs: ['10.244.1.0/24', '10.244.2.0/24'] })), [`spec.podCIDRs: Invalid value: []string{"10.244.1.0/24", "10.244.2.0/24"}: ${FAMILY}`]);
  assert.deepEqual(errs(node({ podCIDRs: ['10.244.1.0/24', 'fd00::/64', '10.244.2.0/24'] })), [`spec.podCIDRs: Invalid value: []string{"10.244.1.0/24", "fd00::/64", "10.244.2.0/24"}: ${FAMILY}`]);
  assert.deepEqual(errs(node({ podCIDRs: ['10.244.1.0/24', '10.244.1.0/24'] })), [
    `spec.podCIDRs: Invalid value: []string{"10.244.1.0/24", "10.244.1.0/24"}: ${FAMILY}`,
    'spec.podCIDRs[1]: Duplicate value: "10.244.1.0/24"',
  ]);
  // An IPv4-mapped IPv6 network is IPv4 to netutils (IsIPv6 is To4() == nil).
  assert.deepEqual(errs(node({ podCIDRs: ['10.244.1.0/24', '::ffff:10.0.0.0/104'] })), [`spec.podCIDRs: Invalid value: []string{"10.244.1.0/24", "::ffff:10.0.0.0/104"}: ${FAMILY}`]);
  // An unparsable one: its own error, then IsDualStackCIDRStrings' error as an internal error.
  assert.deepEqual(errs(node({ podCIDRs: ['10.244.1.0/24', 'nope'] })), [
    'spec.podCIDRs[1]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    'spec.podCIDRs: Internal error: invalid PodCIDRs. failed to check with dual stack with error:failed to parse cidr value:"nope" with error:invalid CIDR address: nope',
    `spec.podCIDRs: Invalid value: []string{"10.244.1.0/24", "nope"}: ${FAMILY}`,
  ]);
  assert.deepEqual(errs(node({ podCIDRs: ['nope'] })), ['spec.podCIDRs[0]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
});

test('the internal podCIDRs from v1 (Convert_v1_NodeSpec_To_core_NodeSpec): podCIDR wins when it differs from podCIDRs[0]', () => {
  assert.deepEqual(internalPodCIDRs({ podCIDR: '10.0.0.0/24', podCIDRs: ['10.0.0.0/24', 'fd00::/64'] }), ['10.0.0.0/24', 'fd00::/64']);
  assert.deepEqual(internalPodCIDRs({ podCIDR: '10.1.0.0/24', podCIDRs: ['10.0.0.0/24', 'fd00::/64'] }), ['10.1.0.0/24']);
  assert.deepEqual(internalPodCIDRs({ podCIDR: '10.1.0.0/24', podCIDRs: [] }), ['10.1.0.0/24']);
  assert.deepEqual(internalPodCIDRs({ podCIDRs: ['10.0.0.0/24', '10.2.0.0/24'] }), ['10.0.0.0/24', '10.2.0.0/24']);
  assert.deepEqual(internalPodCIDRs(undefined), []);
  // So a podCIDR that disagrees with a bad podCIDRs list is all that is judged.
  assert.deepEqual(errs(node({ podCIDR: '10.1.0.0/24', podCIDRs: ['10.0.0.0/24', '10.2.0.0/24'] })), []);
});

test('ValidateNode: status capacity and allocatable quantities on create too (ValidateNodeResources)', () => {
  assert.deepEqual(errs(node({}, { capacity: { cpu: '-1', pods: '110' }, allocatable: { pods: '1.5' } })), [
    'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0',
    'status.allocatable.pods: Invalid value: "1.5": must be an integer',
  ]);
});
