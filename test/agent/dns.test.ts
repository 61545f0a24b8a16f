/** The cluster DNS: records as the kubernetes DNS specification gives them, over real UDP and TCP. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as packet from 'dns-packet';
import { ClusterDns } from '../../src/cluster/agent/network/dns/records.ts';
import { DnsServer } from '../../src/cluster/agent/network/dns/server.ts';
import { resolvConfFor } from '../../src/cluster/agent/network/dns/resolv-conf.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';

const services: K8sObject[] = [
  { metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } },
  { metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] } },
  { metadata: { name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } },
];
const slices: K8sObject[] = [
  { metadata: { name: 'db-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }], endpoints: [{ addresses: ['10.244.1.7'], hostname: 'db-0', conditions: { ready: true } }, { addresses: ['10.244.2.9'], conditions: { ready: true } }, { addresses: ['10.244.2.10'], conditions: { ready: false } }] } as K8sObject,
];
const pods: K8sObject[] = [
  { metadata: { name: 'p', namespace: 'shop' }, status: { phase: 'Running', podIPs: [{ ip: '10.244.1.7' }] } },
  // A finished pod gives its address back (it may already be another pod's): no record for it.
  { metadata: { name: 'done', namespace: 'shop' }, status: { phase: 'Succeeded', podIPs: [{ ip: '10.244.1.8' }] } },
  { metadata: { name: 'failed', namespace: 'shop' }, status: { phase: 'Failed', podIPs: [{ ip: '10.244.1.9' }] } },
];
/** dns-packet decodes the rcode; its types do not declare it. */
const rcode = (p: packet.Packet): string | undefined => (p as { rcode?: string }).rcode;
const dns = new ClusterDns({ services: () => services, endpointSlices: () => slices, pods: () => pods });

test('records: ClusterIP, headless endpoints, endpoint hostnames, SRV, ExternalName, pods, PTR, NXDOMAIN, REFUSED', () => {
  const a = (name: string, t = 'A' as const) => {
    const r = dns.lookup(name, t);
    return r.rcode === 'NOERROR' ? r.answers.map((x) => (typeof x.data === 'string' ? x.data : `${x.data.port} ${x.data.target}`)) : r.rcode;
  };
  assert.deepEqual(a('web.shop.svc.cluster.local'), ['10.96.0.20']);
  assert.deepEqual(a('WEB.shop.svc.cluster.local.'), ['10.96.0.20'], 'case and the root dot do not matter');
  assert.deepEqual(a('db.shop.svc.cluster.local'), ['10.244.1.7', '10.244.2.9'], 'headless: ready endpoints only');
  assert.deepEqual(a('db-0.db.shop.svc.cluster.local'), ['10.244.1.7']);
  assert.deepEqual(a('10-244-2-9.db.shop.svc.cluster.local'), ['10.244.2.9']);
  assert.deepEqual(a('_http._tcp.web.shop.svc.cluster.local', 'SRV' as never), ['80 web.shop.svc.cluster.local']);
  assert.deepEqual(a('_pg._tcp.db.shop.svc.cluster.local', 'SRV' as never), ['5432 db-0.db.shop.svc.cluster.local', '5432 10-244-2-9.db.shop.svc.cluster.local']);
  assert.deepEqual(a('ext.shop.svc.cluster.local'), ['db.example.com']);
  assert.deepEqual(a('10-244-1-7.shop.pod.cluster.local'), ['10.244.1.7']);
  assert.equal(a('10-244-9-9.shop.pod.cluster.local'), 'NXDOMAIN', 'pods verified: only pods that exist');
  assert.equal(a('10-244-1-8.shop.pod.cluster.local'), 'NXDOMAIN', 'pods verified: not a Succeeded pod (CoreDNS watches only unfinished pods)');
  assert.equal(a('10-244-1-9.shop.pod.cluster.local'), 'NXDOMAIN', 'pods verified: not a Failed pod');
  assert.deepEqual(a('20.0.96.10.in-addr.arpa', 'PTR' as never), ['web.shop.svc.cluster.local']);
  assert.equal(a('nope.shop.svc.cluster.local'), 'NXDOMAIN');
  assert.deepEqual(a('web.shop.svc.cluster.local', 'AAAA' as never), [], 'no IPv6 address: no data, not NXDOMAIN');
  assert.deepEqual(a('dns-version.cluster.local', 'TXT' as never), ['1.1.0']);
  assert.equal(a('example.com'), 'REFUSED');
});

let server: DnsServer;
let port: number;
before(async () => {
  server = new DnsServer({ dns, host: '127.0.0.1', port: 0 });
  port = (await server.start()).port;
});
after(() => server.stop());

function udp(msg: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), resolve(undefined)), 500);
    s.on('message', (m) => (clearTimeout(t), s.close(), resolve(m)));
    s.send(msg, port, '127.0.0.1');
  });
}

test('over UDP and TCP, with upstream rcodes and an SOA for names without data', async () => {
  const r = packet.decode((await udp(packet.encode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'web.shop.svc.cluster.local' }] })))!);
  assert.equal(r.id, 7);
  assert.equal(rcode(r), 'NOERROR');
  assert.ok(((r.flags ?? 0) & packet.AUTHORITATIVE_ANSWER) !== 0, 'authoritative');
  assert.deepEqual(r.answers!.map((x) => (x as { data: string }).data), ['10.96.0.20']);
  const nx = packet.decode((await udp(packet.encode({ type: 'query', id: 8, questions: [{ type: 'A', name: 'nope.shop.svc.cluster.local' }] })))!);
  assert.equal(rcode(nx), 'NXDOMAIN');
  assert.equal(nx.authorities![0]!.type, 'SOA');
  const refused = packet.decode((await udp(packet.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'example.com' }] })))!);
  assert.equal(rcode(refused), 'REFUSED');
  const tcpAnswer = await new Promise<Buffer>((resolve, reject) => {
    const q = packet.streamEncode({ type: 'query', id: 10, questions: [{ type: 'SRV', name: '_pg._tcp.db.shop.svc.cluster.local' }] });
    const s = connect(port, '127.0.0.1', () => s.write(q));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) (s.end(), resolve(buf));
    });
    s.on('error', reject);
  });
  const t = packet.streamDecode(tcpAnswer);
  assert.equal(t.answers!.length, 2);
  assert.equal(t.additionals!.filter((x) => x.type === 'A').length, 2, 'targets\' addresses as additionals');
});

test('IPv6: AAAA for dual-stack ClusterIPs, IPv6 endpoints and pods, ip6.arpa PTR; A and AAAA each see only their family', async () => {
  const v6services: K8sObject[] = [
    { metadata: { name: 'dual', namespace: 'v6' }, spec: { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30', 'fd00:10:96::30'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } },
    { metadata: { name: 'hl', namespace: 'v6' }, spec: { clusterIP: 'None', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } },
  ];
  const v6slices: K8sObject[] = [
    { metadata: { name: 'hl-6', namespace: 'v6', labels: { 'kubernetes.io/service-name': 'hl' } }, addressType: 'IPv6', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], endpoints: [{ addresses: ['fd00:10:244::7'], hostname: 'hl-0', conditions: { ready: true } }, { addresses: ['fd00:10:244::8'], conditions: { ready: true } }] } as K8sObject,
    { metadata: { name: 'hl-4', namespace: 'v6', labels: { 'kubernetes.io/service-name': 'hl' } }, addressType: 'IPv4', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], endpoints: [{ addresses: ['10.244.5.7'], hostname: 'hl-0', conditions: { ready: true } }] } as K8sObject,
  ];
  const v6pods: K8sObject[] = [{ metadata: { name: 'p', namespace: 'v6' }, status: { podIPs: [{ ip: '10.244.5.9' }, { ip: 'fd00:10:244:0:0:0:0:9' }] } }];
  const d = new ClusterDns({ services: () => v6services, endpointSlices: () => v6slices, pods: () => v6pods });
  const q = (name: string, t: string) => {
    const r = d.lookup(name, t as never);
    return r.rcode === 'NOERROR' ? r.answers.map((x) => `${x.type} ${typeof x.data === 'string' ? x.data : `${x.data.port} ${x.data.target}`}`) : r.rcode;
  };
  assert.deepEqual(q('dual.v6.svc.cluster.local', 'A'), ['A 10.96.0.30']);
  assert.deepEqual(q('dual.v6.svc.cluster.local', 'AAAA'), ['AAAA fd00:10:96::30']);
  assert.deepEqual(q('hl.v6.svc.cluster.local', 'AAAA'), ['AAAA fd00:10:244::7', 'AAAA fd00:10:244::8'], 'headless: the IPv6 slice');
  assert.deepEqual(q('hl.v6.svc.cluster.local', 'A'), ['A 10.244.5.7'], 'headless: the IPv4 slice');
  assert.deepEqual(q('hl-0.hl.v6.svc.cluster.local', 'AAAA'), ['AAAA fd00:10:244::7']);
  assert.deepEqual(q('fd00-10-244--8.hl.v6.svc.cluster.local', 'AAAA'), ['AAAA fd00:10:244::8'], "an unnamed IPv6 endpoint's label: colons as dashes");
  assert.deepEqual(q('fd00-10-244--9.v6.pod.cluster.local', 'AAAA'), ['AAAA fd00:10:244::9'], 'pod record, however the pod wrote its address');
  assert.deepEqual(q('fd00-10-244--9.v6.pod.cluster.local', 'A'), [], 'the name exists: no A data, not NXDOMAIN');
  assert.equal(q('fd00-10-244--99.v6.pod.cluster.local', 'AAAA'), 'NXDOMAIN');
  const nibbles = (ip: string) => ip.split(':').map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.');
  assert.deepEqual(q(`${nibbles('fd00:0010:0096:0000:0000:0000:0000:0030')}.ip6.arpa`, 'PTR'), ['PTR dual.v6.svc.cluster.local']);
  assert.deepEqual(q(`${nibbles('fd00:0010:0244:0000:0000:0000:0000:0007')}.ip6.arpa`, 'PTR'), ['PTR hl-0.hl.v6.svc.cluster.local']);
  assert.equal(q('1.0.0.0.ip6.arpa', 'PTR'), 'REFUSED');
  // SRV additionals carry each target's addresses in their own family.
  const srv = d.lookup('_http._tcp.hl.v6.svc.cluster.local', 'SRV');
  assert.ok(srv.rcode === 'NOERROR');
  assert.deepEqual(srv.additionals.map((a) => `${a.type} ${a.name} ${String(a.data)}`).sort(), ['A hl-0.hl.v6.svc.cluster.local 10.244.5.7', 'AAAA fd00-10-244--8.hl.v6.svc.cluster.local fd00:10:244::8', 'AAAA hl-0.hl.v6.svc.cluster.local fd00:10:244::7']);
  // And on the wire: an AAAA record in the answer.
  const s6 = new DnsServer({ dns: d, host: '127.0.0.1', port: 0 });
  const p6 = (await s6.start()).port;
  try {
    const reply = await new Promise<Buffer>((resolve) => {
      const u = createSocket('udp4');
      u.on('message', (m) => (u.close(), resolve(m)));
      u.send(packet.encode({ type: 'query', id: 13, questions: [{ type: 'AAAA', name: 'dual.v6.svc.cluster.local' }] }), p6, '127.0.0.1');
    });
    const r = packet.decode(reply);
    assert.deepEqual(r.answers!.map((a) => [a.type, (a as { data: string }).data]), [['AAAA', 'fd00:10:96::30']]);
  } finally {
    await s6.stop();
  }
});

test('bad input: garbage is dropped or FORMERR, and the server keeps answering', async () => {
  assert.equal(await udp(Buffer.from([1, 2, 3])), undefined, 'too short for a header: no answer');
  const bad = Buffer.alloc(20, 0xff);
  bad.writeUInt16BE(4242, 0);
  const r = await udp(bad);
  assert.ok(r, 'a readable header gets an answer');
  assert.equal(r!.readUInt16BE(0), 4242);
  assert.equal(r!.readUInt16BE(2) & 0xf, 1, 'FORMERR');
  const ok = packet.decode((await udp(packet.encode({ type: 'query', id: 11, questions: [{ type: 'A', name: 'web.shop.svc.cluster.local' }] })))!);
  assert.equal(rcode(ok), 'NOERROR');
});

test('a UDP answer too large for the client is truncated (TC), so it retries over TCP', async () => {
  const many: K8sObject[] = [{ metadata: { name: 'big', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', ports: [], endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.244.3.${i + 1}`], conditions: { ready: true } })) } as K8sObject];
  const bigDns = new ClusterDns({ services: () => services, endpointSlices: () => many, pods: () => [] });
  const s = new DnsServer({ dns: bigDns, host: '127.0.0.1', port: 0 });
  const p = (await s.start()).port;
  try {
    const reply = await new Promise<Buffer>((resolve) => {
      const u = createSocket('udp4');
      u.on('message', (m) => (u.close(), resolve(m)));
      u.send(packet.encode({ type: 'query', id: 12, questions: [{ type: 'A', name: 'db.shop.svc.cluster.local' }] }), p, '127.0.0.1');
    });
    const r = packet.decode(reply);
    assert.ok(reply.length <= 512);
    assert.ok(((r.flags ?? 0) & packet.TRUNCATED_RESPONSE) !== 0, 'TC set');
    assert.equal(r.answers!.length, 0);
  } finally {
    await s.stop();
  }
});

test('resolv.conf per dnsPolicy, as the kubelet writes it', () => {
  const base = { namespace: 'shop', clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n' };
  assert.equal(resolvConfFor(base), 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  assert.equal(resolvConfFor({ ...base, hostNetwork: true }), 'search corp.example\nnameserver 192.0.2.53\noptions timeout:2\n', 'ClusterFirst on the host network falls back to Default');
  assert.match(resolvConfFor({ ...base, hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), /nameserver 10\.96\.0\.10/);
  assert.equal(resolvConfFor({ ...base, dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), 'search a.example\nnameserver 1.2.3.4\noptions ndots:2 edns0\n');
  assert.equal(resolvConfFor({ ...base, dnsConfig: { options: [{ name: 'ndots', value: '1' }] } }).split('\n')[2], 'options ndots:1', 'the pod\'s option wins');
  // Without a cluster DNS address ClusterFirst (and ClusterFirstWithHostNet) fall back to Default, as the kubelet's podDNSCluster case.
  assert.equal(resolvConfFor({ ...base, clusterDNS: [] }), 'search corp.example\nnameserver 192.0.2.53\noptions timeout:2\n');
  assert.equal(resolvConfFor({ ...base, clusterDNS: [], hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), 'search corp.example\nnameserver 192.0.2.53\noptions timeout:2\n');
});
