/**
 * A pod may send only from its own address (root). The default capability set gives every
 * container CAP_NET_RAW, so a tenant's pod can write IP packets with any source: another tenant's
 * pod address (the node's NetworkPolicy table finds the egress and ingress rules by address, so
 * the victim's policy would admit what it admits from that pod, and the sender's own egress policy
 * would not apply) or an outside address an ipBlock allows. As Calico's and Cilium's source checks,
 * the routed network drops what a pod's interface brings in from any address the node does not
 * route back through that interface. Here the sending pod holds the spoofed address itself (as
 * root in its namespace), which puts on the wire what a raw socket would.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCommandRunner } from '../../src/cluster/agent/network/ip-command.ts';
import { hostInterfaceName, RoutedPodNetwork } from '../../src/cluster/agent/network/routed.ts';
import { Namespaces } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const skip = requireRoot('the pod network') || requireBinaries('iproute2', 'ip') || requireBinaries('util-linux', 'nsenter') || requireBinaries('nftables', 'nft');
const skipRa = skip || requireBinaries('python3', 'python3') || (existsSync('/proc/sys/net/ipv6') ? false : 'skipped: the kernel has no IPv6');
let ns: Namespaces;
let dir: string;
const procs: ChildProcess[] = [];
before(() => {
  if (skip) return;
  ns = new Namespaces();
  dir = mkdtempSync(join(tmpdir(), 'antispoof-'));
});
after(() => {
  for (const p of procs) p.kill('SIGKILL');
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PORT = 9977;

/** A UDP receiver in `netns`: every datagram's source address, as it arrived. */
async function udpReceiver(netns: string, family: 'udp4' | 'udp6' = 'udp4'): Promise<{ sources: string[] }> {
  const script = `const s=require('node:dgram').createSocket('${family}');s.on('message',(m,r)=>process.stdout.write(r.address+'\\n'));s.bind(${PORT},()=>process.stdout.write('ready\\n'));`;
  const p = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(p);
  const out = { sources: [] as string[] };
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    p.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (l === 'ready') resolve();
        else out.sources.push(l);
      }
    });
  });
  return out;
}

/** Sends three datagrams from `netns`, bound to `from`, to `to`. */
async function udpSend(netns: string, from: string, to: string): Promise<void> {
  const script = `const s=require('node:dgram').createSocket('${from.includes(':') ? 'udp6' : 'udp4'}');s.bind(0,${JSON.stringify(from)},async()=>{for(let i=0;i<3;i++)await new Promise((r,j)=>s.send('x',${PORT},${JSON.stringify(to)},(e)=>e?j(e):r()));s.close();});`;
  const p = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  procs.push(p);
  const code = await new Promise<number | null>((resolve) => p.once('exit', resolve));
  assert.equal(code, 0, `sender in ${netns} from ${from}`);
}

const settle = () => new Promise((r) => setTimeout(r, 300));

test('a pod cannot send from another pod\'s address or an outside one; its own and replies pass', { skip }, async () => {
  const node = ns.add('pcsn');
  const net = new RoutedPodNetwork({ podCIDR: '10.244.9.0/24', stateFile: join(dir, 'n.json'), run: nodeCommandRunner(node) });
  await net.init();
  const podNs = { attacker: ns.add('pcsa'), victim: ns.add('pcsv'), trusted: ns.add('pcst') };
  const ref = (n: string) => ({ uid: `uid-${n}`, namespace: n, name: n });
  const ipAttacker = (await net.setUp(ref('attacker'), `/var/run/netns/${podNs.attacker}`)).ips[0]!;
  const ipVictim = (await net.setUp(ref('victim'), `/var/run/netns/${podNs.victim}`)).ips[0]!;
  const ipTrusted = (await net.setUp(ref('trusted'), `/var/run/netns/${podNs.trusted}`)).ips[0]!;
  const received = await udpReceiver(podNs.victim);

  // Its own address: delivered.
  await udpSend(podNs.attacker, ipAttacker, ipVictim);
  await udpSend(podNs.trusted, ipTrusted, ipVictim);
  await settle();
  assert.deepEqual([...new Set(received.sources)].sort(), [ipAttacker, ipTrusted].sort());

  // Another pod's address, and an address outside the cluster, held by the attacker's eth0.
  received.sources.length = 0;
  ns.exec(podNs.attacker, ['ip', 'addr', 'add', `${ipTrusted}/32`, 'dev', 'eth0']);
  ns.exec(podNs.attacker, ['ip', 'addr', 'add', '203.0.113.7/32', 'dev', 'eth0']);
  await udpSend(podNs.attacker, ipTrusted, ipVictim);
  await udpSend(podNs.attacker, '203.0.113.7', ipVictim);
  await settle();
  assert.deepEqual(received.sources, [], 'spoofed datagrams reached the victim');

  // The honest pods are unaffected: the trusted pod's own datagrams and the attacker's own still pass.
  await udpSend(podNs.trusted, ipTrusted, ipVictim);
  await udpSend(podNs.attacker, ipAttacker, ipVictim);
  await settle();
  assert.deepEqual([...new Set(received.sources)].sort(), [ipAttacker, ipTrusted].sort());

  // Idempotent: a second init (an agent restart) keeps one rule.
  await net.init();
  const rules = ns.exec(node, ['nft', 'list', 'table', 'inet', 'portcullis_podnet']);
  assert.equal(rules.match(/fib saddr \. iif oif missing drop/g)?.length, 1, rules);
});

/**
 * An ICMPv6 router advertisement (router lifetime 1800 s, prefix 2001:db8:bad::/64 with SLAAC) to
 * all nodes on the pod's eth0, as a pod with CAP_NET_RAW can send it (CVE-2020-10749).
 */
const ROUTER_ADVERTISEMENT = `
import socket, struct
ra = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0)
ra += struct.pack('!BBBBIII', 3, 4, 64, 0xc0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, '2001:db8:bad::')
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
for _ in range(3): s.sendto(ra, ('ff02::1', 0, 0, socket.if_nametoindex('eth0')))
`;

test("a pod's IPv6 router advertisement gives the node no route and no address", { skip: skipRa }, async () => {
  const node = ns.add('pcrn');
  const net = new RoutedPodNetwork({ podCIDR: '10.244.8.0/24', stateFile: join(dir, 'ra.json'), run: nodeCommandRunner(node) });
  await net.init();
  const podNs = ns.add('pcra');
  await net.setUp({ uid: 'uid-ra', namespace: 'a', name: 'ra' }, `/var/run/netns/${podNs}`);
  const host = hostInterfaceName('uid-ra');
  // Both ends have their link-local addresses, past duplicate address detection (IPv6 stays on:
  // only advertisements are refused).
  const ready = (where: string, dev: string) => /scope link/.test(ns.exec(where, ['ip', '-6', '-o', 'addr', 'show', 'dev', dev])) && !/tentative/.test(ns.exec(where, ['ip', '-6', '-o', 'addr', 'show', 'dev', dev]));
  for (let i = 0; i < 100 && !(ready(node, host) && ready(podNs, 'eth0')); i++) await new Promise((r) => setTimeout(r, 100));
  ns.exec(podNs, ['python3', '-c', ROUTER_ADVERTISEMENT]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.doesNotMatch(ns.exec(node, ['ip', '-6', 'route']), /default|2001:db8:bad/);
  assert.doesNotMatch(ns.exec(node, ['ip', '-6', '-o', 'addr']), /2001:db8:bad/);
  assert.equal(ns.exec(node, ['sysctl', '-n', `net.ipv6.conf.${host}.accept_ra`]).trim(), '0');
});

test('on a node that forwards IPv6, a pod cannot send IPv6 past it (no NetworkPolicy sees IPv6)', { skip: skipRa }, async () => {
  const node = ns.add('pcvn');
  const remote = ns.add('pcvr');
  // A host with IPv6 forwarding on (Docker, a dual-stack router) and a neighbour reachable over IPv6.
  ns.exec(node, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
  ns.exec(node, ['ip', 'link', 'add', 'r0', 'type', 'veth', 'peer', 'name', 'r0', 'netns', remote]);
  ns.exec(node, ['ip', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'r0', 'nodad']);
  ns.exec(remote, ['ip', 'addr', 'add', '2001:db8:1::2/64', 'dev', 'r0', 'nodad']);
  ns.exec(node, ['ip', 'link', 'set', 'r0', 'up']);
  ns.exec(remote, ['ip', 'link', 'set', 'r0', 'up']);
  const net = new RoutedPodNetwork({ podCIDR: '10.244.6.0/24', stateFile: join(dir, 'v6.json'), run: nodeCommandRunner(node) });
  await net.init();
  const podNs = ns.add('pcvp');
  await net.setUp({ uid: 'uid-v6', namespace: 'a', name: 'v6' }, `/var/run/netns/${podNs}`);
  const host = hostInterfaceName('uid-v6');
  let ll: string | undefined;
  for (let i = 0; i < 100 && !ll; i++) {
    ll = /inet6 (fe80::[0-9a-f:]+)\/64 scope link\s*$/m.exec(ns.exec(node, ['ip', '-6', 'addr', 'show', 'dev', host]))?.[1];
    if (!ll) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ll, 'the node end has its link-local address');
  // What a raw socket could put on the wire: a global source the pod was never given, via the node.
  ns.exec(podNs, ['ip', '-6', 'addr', 'add', '2001:db8:bad::5/128', 'dev', 'eth0', 'nodad']);
  ns.exec(podNs, ['ip', '-6', 'route', 'add', 'default', 'via', ll!, 'dev', 'eth0']);
  const received = await udpReceiver(remote, 'udp6');
  await udpSend(podNs, '2001:db8:bad::5', '2001:db8:1::2');
  await settle();
  assert.deepEqual(received.sources, [], 'an IPv6 datagram from the pod was forwarded');
  // The receiver hears the node's own IPv6 datagrams: only what the pod sent was dropped.
  await udpSend(node, '2001:db8:1::1', '2001:db8:1::2');
  await settle();
  assert.deepEqual(received.sources, ['2001:db8:1::1', '2001:db8:1::1', '2001:db8:1::1']);
});
