/**
 * Checks the data plane against the analysis: opens real TCP connections between endpoints and
 * reports every connection where what happened differs from what the model says (there must be
 * none). The caller supplies how to connect from an endpoint (a pod's network namespace, an exec
 * into the pod, ...).
 */
import { allowedBetween } from './evaluate.ts';
import type { Peer, PodPolicy } from './types.ts';

export interface ProbeEndpoint {
  label: string;
  ip: string;
  peer: Peer;
  policy?: PodPolicy;
}

export interface ProbeResult {
  src: string;
  dst: string;
  port: number;
  expected: boolean;
  actual: boolean;
}

export async function probeTcp(
  sources: readonly ProbeEndpoint[],
  destinations: readonly ProbeEndpoint[],
  ports: readonly number[],
  connect: (src: ProbeEndpoint, dstIp: string, port: number) => Promise<boolean>,
): Promise<{ results: ProbeResult[]; differences: ProbeResult[] }> {
  const jobs: Array<Promise<ProbeResult>> = [];
  for (const s of sources) {
    for (const d of destinations) {
      if (s === d) continue;
      const conns = allowedBetween(s, d);
      for (const port of ports) {
        const expected = conns.allows('TCP', port);
        jobs.push(connect(s, d.ip, port).then((actual) => ({ src: s.label, dst: d.label, port, expected, actual })));
      }
    }
  }
  const results = await Promise.all(jobs);
  return { results, differences: results.filter((r) => r.expected !== r.actual) };
}
