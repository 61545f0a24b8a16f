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

test('a sync that reads a Node from before its own patch (informer behind) allocates nothing new', async () => {
  // The Node's status write before the patch queues the Node again; if the informer has not yet
  // seen the patch when that sync runs, the Node still looks bare. Upstream refuses the second range
  // ("node updates may not change podCIDR"), so it must not be asked for.
  let stale: K8sObject | undefined;
  let queueAdd: ((key: string) => void) | undefined;
  const h = await startHarness((d) => {
    queueAdd = (k) => d.queue.add(k);
    const informers = {
      ...d.informers,
      informer: <T extends K8sObject>(r: typeof resources.nodes) => {
        const inf = d.informers.informer<T>(r);
        return new Proxy(inf, { get: (t, p, recv) => (p === 'get' ? (ns: string, name: string) => (stale?.metadata.name === name ? stale : t.get(ns, name)) : Reflect.get(t, p, recv)) });
      },
    } as typeof d.informers;
    return newNodeIpamController({ ...d, informers, clusterCIDR: '10.244.0.0/16' });
  });
  try {
    h.client.seed(resources.nodes, node('n'));
    await h.idle();
    assert.equal(cidrOf(h, 'n'), '10.244.0.0/24');
    stale = node('n');
    queueAdd!('n');
    await h.idle();
    assert.equal(cidrOf(h, 'n'), '10.244.0.0/24', 'the range the Node was given stays; no second patch');
    stale = undefined;
    h.client.seed(resources.nodes, node('m'));
    await h.idle();
    assert.equal(cidrOf(h, 'm'), '10.244.1.0/24', 'nothing was taken for the stale read');
  } finally {
    await h.stop();
  }
});
