/**
 * The cluster DNS server (UDP and TCP), answering from ClusterDns. Authoritative for the cluster
 * zone and the reverse zone of its Service addresses; other names are REFUSED (there is no
 * forwarding: the cluster reaches nothing outside it unless a resolver is configured on the host).
 * Bounded: a UDP answer larger than the client can take is truncated (TC) so it retries over TCP;
 * TCP connections are capped and idle ones closed; a message that does not parse gets FORMERR when
 * its header can be read and nothing otherwise.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import * as packet from 'dns-packet';
import type { Answer, ClusterDns, RecordType } from './records.ts';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const TTL = 5;
const MAX_TCP_CONNECTIONS = 256;
const TCP_IDLE_MS = 10_000;
const SUPPORTED = new Set<RecordType>(['A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'TXT']);

export interface DnsServerOptions {
  dns: ClusterDns;
  host: string;
  port: number;
}

export function answerQuery(dns: ClusterDns, query: Buffer, maxSize = 65535): Buffer | undefined {
  let q: packet.Packet;
  try {
    q = packet.decode(query);
  } catch {
    // A header we can read gets FORMERR; anything shorter is dropped.
    if (query.length < 12) return undefined;
    return packet.encode({ type: 'response', id: query.readUInt16BE(0), flags: RCODE.FORMERR, questions: [] });
  }
  const rd = (q.flags ?? 0) & packet.RECURSION_DESIRED;
  const question = q.questions?.[0];
  if (q.type !== 'query' || !question || (q.questions?.length ?? 0) !== 1) return packet.encode({ type: 'response', id: q.id, flags: RCODE.FORMERR | rd, questions: q.questions ?? [] });
  const base = { type: 'response' as const, id: q.id, questions: [question] };
  if (!SUPPORTED.has(question.type as RecordType) || (question.class && question.class !== 'IN')) {
    const r = dns.lookup(question.name, 'A');
    if (r.rcode === 'REFUSED') return packet.encode({ ...base, flags: RCODE.REFUSED | rd });
    return packet.encode({ ...base, flags: packet.AUTHORITATIVE_ANSWER | rd | (r.rcode === 'NXDOMAIN' ? RCODE.NXDOMAIN : RCODE.NOERROR), authorities: [soa(dns)] });
  }
  const r = dns.lookup(question.name, question.type as RecordType);
  if (r.rcode === 'REFUSED') return packet.encode({ ...base, flags: RCODE.REFUSED | rd });
  if (r.rcode === 'NXDOMAIN') return packet.encode({ ...base, flags: packet.AUTHORITATIVE_ANSWER | rd | RCODE.NXDOMAIN, authorities: [soa(dns)] });
  const answers = r.answers.map(toRecord);
  const full = packet.encode({ ...base, flags: packet.AUTHORITATIVE_ANSWER | rd, answers, additionals: r.additionals.map(toRecord), authorities: answers.length ? [] : [soa(dns)] });
  if (full.length <= maxSize) return full;
  return packet.encode({ ...base, flags: packet.AUTHORITATIVE_ANSWER | packet.TRUNCATED_RESPONSE | rd });
}

function toRecord(a: Answer): packet.Answer {
  return { ...a, ttl: TTL, class: 'IN' } as packet.Answer;
}

function soa(dns: ClusterDns): packet.Answer {
  return { type: 'SOA', name: dns.zone, ttl: TTL, class: 'IN', data: { mname: `ns.dns.${dns.zone}`, rname: `hostmaster.${dns.zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL } };
}

/** The largest UDP answer a query allows: 512 bytes, or its EDNS buffer size. */
function udpLimit(query: Buffer): number {
  try {
    const q = packet.decode(query);
    const opt = q.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    return Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
  } catch {
    return 512;
  }
}

export class DnsServer {
  readonly #o: DnsServerOptions;
  #udp?: Socket;
  #tcp?: Server;
  readonly #conns = new Set<TcpSocket>();

  constructor(o: DnsServerOptions) {
    this.#o = o;
  }

  async start(): Promise<{ port: number }> {
    const udp = createSocket(this.#o.host.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => {
      const out = answerQuery(this.#o.dns, msg, udpLimit(msg));
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.#o.port, this.#o.host, () => resolve());
    });
    this.#udp = udp;
    const port = udp.address().port;
    const tcp = createServer((sock) => this.#serveTcp(sock));
    tcp.maxConnections = MAX_TCP_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, this.#o.host, () => resolve());
    });
    this.#tcp = tcp;
    return { port };
  }

  #serveTcp(sock: TcpSocket): void {
    this.#conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => this.#conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const out = answerQuery(this.#o.dns, Buffer.from(msg));
        if (!out) return void sock.destroy();
        const len2 = Buffer.alloc(2);
        len2.writeUInt16BE(out.length);
        sock.write(Buffer.concat([len2, out]));
      }
    });
  }

  async stop(): Promise<void> {
    for (const c of this.#conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.#udp ? this.#udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.#tcp ? this.#tcp.close(() => r()) : r())),
    ]);
  }
}
