/**
 * `netpol analyze --live --probe`: opens the connections the analysis speaks about for real. From
 * the network namespace of every pod on this machine, a TCP connection to every other pod's
 * address on each probed port; the data plane allowed it when the destination answered at all
 * (a connection, or a reset because nothing listens there: the SYN reached the pod), and refused
 * it when nothing came back (policy drops). Each answer is compared with the model's.
 */
import { PolicyModel, type Snapshot } from './compile.ts';
import { probeTcp, type ProbeEndpoint, type ProbeResult } from './probe.ts';
import { findPodNamespaces } from './pod-netns.ts';
import { startProber, type Prober } from './prober.ts';
import { ConcurrencyLimit } from '../../util/concurrency-limit.ts';

export interface LiveProbeOptions {
  /** Ports to probe on every destination; default: every TCP containerPort of the snapshot's pods. */
  ports?: number[];
  timeoutMs: number;
  /** Pods (namespace/name) neither probed from nor to: host-network pods, which policy does not govern. */
  exclude?: ReadonlySet<string>;
  /** Connections in flight at once per source pod (bounds processes' sockets). */
  concurrency?: number;
  /** Test seams: where pods' namespaces are, and how a prober is started in one. */
  findNamespaces?: (ips: readonly string[]) => Promise<Map<string, string>>;
  proberIn?: (nsPath: string) => Prober;
}

export interface LiveProbeReport {
  ports: number[];
  /** Pods probed from (their namespace is on this machine). */
  sources: string[];
  /** Pods with an address whose namespace is not on this machine: not probed from (but probed to). */
  elsewhere: string[];
  results: ProbeResult[];
  differences: ProbeResult[];
}

export async function probeLive(snap: Snapshot, o: LiveProbeOptions): Promise<LiveProbeReport> {
  const model = new PolicyModel(snap);
  const pods = snap.pods.filter((p) => p.ips.length > 0 && !o.exclude?.has(p.key));
  const ports = o.ports ?? [...new Set(pods.flatMap((p) => p.ports.filter((c) => (c.protocol ?? 'TCP') === 'TCP').map((c) => c.containerPort)))].sort((a, b) => a - b);
  if (ports.length === 0) throw new Error('no ports to probe: the pods declare no TCP containerPort (give --probe-ports)');
  const where = await (o.findNamespaces ?? ((ips) => findPodNamespaces(ips)))(pods.map((p) => p.ips[0]!));
  const endpoint = (p: (typeof pods)[number]): ProbeEndpoint => ({ label: `${p.namespace}/${p.name}`, ip: p.ips[0]!, peer: { kind: 'pod', pod: p }, policy: model.policyFor(p) });
  const all = pods.map(endpoint);
  const sources = all.filter((e) => where.has(e.ip));
  const probers = new Map<string, { prober: Prober; gate: ConcurrencyLimit }>();
  for (const s of sources) probers.set(s.ip, { prober: (o.proberIn ?? ((ns) => startProber(['nsenter', `--net=${ns}`])))(where.get(s.ip)!), gate: new ConcurrencyLimit(o.concurrency ?? 32) });
  try {
    const { results, differences } = await probeTcp(sources, all, ports, async (src, ip, port) => {
      const p = probers.get(src.ip)!;
      const r = await p.gate.run(() => p.prober.connect(ip, port, o.timeoutMs));
      return r.ok || r.code === 'ECONNREFUSED';
    });
    return { ports, sources: sources.map((s) => s.label), elsewhere: all.filter((e) => !where.has(e.ip)).map((e) => e.label), results, differences };
  } finally {
    for (const p of probers.values()) p.prober.close();
  }
}

/** The report as text: a summary line, then one line per difference (none when the data plane agrees). */
export function formatProbeReport(r: LiveProbeReport): string {
  const lines = [`probe: ${r.results.length} connections from ${r.sources.length} pods on ports ${r.ports.join(',')}${r.elsewhere.length ? ` (${r.elsewhere.length} pods not on this machine probed as destinations only)` : ''}: ${r.differences.length} differ from the analysis`];
  for (const d of r.differences) lines.push(`DIFF ${d.src} => ${d.dst} : TCP ${d.port}: analysis ${d.expected ? 'allows' : 'denies'}, data plane ${d.actual ? 'allowed' : 'refused'}`);
  return lines.join('\n') + '\n';
}

