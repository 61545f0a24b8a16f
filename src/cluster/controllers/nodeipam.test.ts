/** The node IPAM controller on the fake client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../client/types.ts';
import { resources } from '../client/resources.ts';
import { startHarness, eventsOf, type Harness } from './job/test-harness.ts';
import { CidrSet, newNodeIpamController } from './nodeipam.ts';

const node = (name: string, podCIDR?: string): K8sObject => ({ metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
const cidrOf = (h: Harness, name: string) => h.client.stored<K8sObject>(resources.nodes, '').find((n) => n.metadata.name === name)?.spec?.podCIDR;

test('CIDR set: round-robin /24s of the cluster CIDR, taken ranges skipped, bad masks refused', () => {
  const s = new CidrSet('10.244.0.0/22', 24);
  assert.ok(s.occupy('10.244.1.0/24'));
  assert.ok(!s.occupy('10.9.0.0/24'), 'outside the cluster CIDR');
  assert.ok(!s.occupy('10.244.2.0/25'), 'another mask');
  assert.deepEqual([s.allocateNext(), s.allocateNext(), s.allocateNext(), s.allocateNext()], ['10.244.0.0/24', '10.244.2.0/24', '10.244.3.0/24', undefined]);
  s.release('10.244.2.0/24');
  assert.equal(s.allocateNext(), '10.244.2.0/24');
  assert.throws(() => new CidrSet('10.244.0.0/16', 12), /must be between/);
  assert.throws(() => new CidrSet('fd00::/48', 64), /not an IPv4 CIDR/);
});

test('Nodes without a podCIDR get the next free /24; ranges in use are kept; a deleted Node frees its range; exhaustion is an event', async () => {
  const h = await startHarness((d) => newNodeIpamController({ ...d, clusterCIDR: '10.244.0.0/23' }));
  try {
    h.client.seed(resources.nodes, node('old', '10.244.0.0/24'));
    h.client.seed(resources.nodes, node('new'));
    await h.idle();
    assert.equal(cidrOf(h, 'new'), '10.244.1.0/24', 'the range an existing Node holds is not handed out again');
    assert.deepEqual(h.client.stored<K8sObject>(resources.nodes, '').find((n) => n.metadata.name === 'new')!.spec!.podCIDRs, ['10.244.1.0/24']);
    h.client.seed(resources.nodes, node('third'));
    await h.idle();
    assert.equal(cidrOf(h, 'third'), undefined, 'the cluster CIDR is full');
    assert.ok(eventsOf(h.client).some((e) => e.includes('CIDRNotAvailable')), eventsOf(h.client).join('\n'));
    await h.client.delete(resources.nodes, '', 'old');
    await h.advance(60_000);
    assert.equal(cidrOf(h, 'third'), '10.244.0.0/24', 'the deleted Node\'s range, once the retry comes');
  } finally {
    await h.stop();
  }
});
