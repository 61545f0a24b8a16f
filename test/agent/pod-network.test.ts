/**
 * The routed pod network (root): two nodes in network namespaces joined by an underlay link, pods
 * in network namespaces of their own set up by RoutedPodNetwork; pod-to-pod on one node and across
 * nodes, node-to-pod; addresses persisted across an agent restart; teardown releases.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCommandRunner } from '../../src/cluster/agent/network/ip-command.ts';
import { desiredRoutes, NodeRoutes } from '../../src/cluster/agent/network/node-routes.ts';
import { hostInterfaceName, RoutedPodNetwork } from '../../src/cluster/agent/network/routed.ts';
import { PodAddressAllocator } from '../../src/cluster/agent/network/ipam.ts';
import { Namespaces } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

test('addresses: one per pod, persisted before use, not reused at once, never twice after a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipam-'));
  try {
    const file = join(dir, 'ipam.json');
    const a = new PodAddressAllocator('10.244.3.0/29', file);
    assert.equal(a.allocate('u1'), '10.244.3.2');
    assert.equal(a.allocate('u1'), '10.244.3.2', 'same pod, same address');
    assert.equal(a.allocate('u2'), '10.244.3.3');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).byUid, { u1: '10.244.3.2', u2: '10.244.3.3' });
    a.release('u1');
    assert.equal(a.allocate('u3'), '10.244.3.4', 'a released address is not the next one handed out');
    const restarted = new PodAddressAllocator('10.244.3.0/29', file);
    assert.equal(restarted.addressOf('u2'), '10.244.3.3');
    const more = ['u4', 'u5', 'u6'].map((u) => restarted.allocate(u));
    assert.deepEqual(more, ['10.244.3.5', '10.244.3.6', '10.244.3.2']);
    assert.throws(() => restarted.allocate('u7'), /no free address/);
    assert.throws(() => new PodAddressAllocator('10.9.0.0/24', file), /holds addresses of 10\.244\.3\.0\/29/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const skip = requireRoot('the pod network') || requireBinaries('iproute2', 'ip') || requireBinaries('util-linux', 'nsenter');
let ns: Namespaces;
let dir: string;
before(() => {
  if (skip) return;
  ns = new Namespaces();
  dir = mkdtempSync(join(tmpdir(), 'podnet-'));
});
after(() => {
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('pods talk on one node, across nodes, and from the node; restart keeps addresses; teardown releases', { skip }, async () => {
  const n1 = ns.add('pcn1');
  const n2 = ns.add('pcn2');
  // The underlay: one link between the two nodes.
  ns.exec(n1, ['ip', 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u0', 'netns', n2]);
  ns.exec(n1, ['ip', 'addr', 'add', '192.168.77.1/24', 'dev', 'u0']);
  ns.exec(n2, ['ip', 'addr', 'add', '192.168.77.2/24', 'dev', 'u0']);
  ns.exec(n1, ['ip', 'link', 'set', 'u0', 'up']);
  ns.exec(n2, ['ip', 'link', 'set', 'u0', 'up']);
  const nodes = [
    { metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.77.1' }] } },
    { metadata: { name: 'n2' }, spec: { podCIDR: '10.244.2.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.77.2' }] } },
  ];
  const net1 = new RoutedPodNetwork({ podCIDR: '10.244.1.0/24', stateFile: join(dir, 'n1.json'), run: nodeCommandRunner(n1) });
  const net2 = new RoutedPodNetwork({ podCIDR: '10.244.2.0/24', stateFile: join(dir, 'n2.json'), run: nodeCommandRunner(n2) });
  await net1.init();
  await net2.init();
  await new NodeRoutes(nodeCommandRunner(n1)).sync(desiredRoutes(nodes as never, 'n1'));
  await new NodeRoutes(nodeCommandRunner(n2)).sync(desiredRoutes(nodes as never, 'n2'));

  const pods = { a: { uid: 'uid-a', namespace: 't', name: 'a' }, b: { uid: 'uid-b', namespace: 't', name: 'b' }, c: { uid: 'uid-c', namespace: 't', name: 'c' } };
  const podNs = { a: ns.add('pcpa'), b: ns.add('pcpb'), c: ns.add('pcpc') };
  const ipA = (await net1.setUp(pods.a, `/var/run/netns/${podNs.a}`)).ips[0]!;
  const ipB = (await net1.setUp(pods.b, `/var/run/netns/${podNs.b}`)).ips[0]!;
  const ipC = (await net2.setUp(pods.c, `/var/run/netns/${podNs.c}`)).ips[0]!;
  assert.deepEqual([ipA, ipB, ipC], ['10.244.1.2', '10.244.1.3', '10.244.2.2']);
  const a = ns.prober(podNs.a, 'a', ipA);
  const b = ns.prober(podNs.b, 'b', ipB);
  const c = ns.prober(podNs.c, 'c', ipC);
  const node1 = ns.prober(n1, 'n1', '192.168.77.1');
  for (const h of [a, b, c]) await h.listen([8080]);
  assert.equal(await a.connect(ipB, 8080), true, 'same node');
  assert.equal(await a.connect(ipC, 8080), true, 'across nodes, over the underlay');
  assert.equal(await c.connect(ipA, 8080), true, 'and back');
  assert.equal(await node1.connect(ipA, 8080), true, 'node to pod');

  // An agent restart: a new instance over the same state sets the same pod up again, idempotently.
  const again = new RoutedPodNetwork({ podCIDR: '10.244.1.0/24', stateFile: join(dir, 'n1.json'), run: nodeCommandRunner(n1) });
  assert.deepEqual((await again.setUp(pods.a, `/var/run/netns/${podNs.a}`)).ips, [ipA]);
  assert.equal(await b.connect(ipA, 8080), true);

  await again.tearDown(pods.a);
  await again.tearDown(pods.a);
  assert.equal(again.addressOf('uid-a'), undefined);
  assert.throws(() => ns.exec(n1, ['ip', 'link', 'show', hostInterfaceName('uid-a')]));
  assert.equal(await b.connect(ipA, 8080), false, 'gone with its interface');
  assert.ok(existsSync(join(dir, 'n1.json')));
});
