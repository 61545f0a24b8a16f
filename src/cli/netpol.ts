/**
 * `portcullis netpol analyze (-f DIR | --live --kubeconfig FILE [--probe]) [-o txt|json]`: the
 * connections a set of manifests (or the running cluster) permits, computed by the same policy
 * model the node agents render into nftables (src/cluster/netpol), printed as np-guard's
 * netpol-analyzer prints them: "src => dst : conn" lines, or [{src, dst, conn}] JSON. With
 * --probe (root, on a node) the connections between the pods on this machine and every pod are
 * opened for real and any answer that differs from the analysis is reported (exit code 1).
 */
import type { ApiClient, ClientConfig, K8sObject, ResourceRef } from '../cluster/client/types.ts';
import { resources } from '../cluster/client/resources.ts';
import { ApiStatusError } from '../cluster/client/errors.ts';
import { connectionList, formatConnectionsText } from '../cluster/netpol/connlist.ts';
import { ADMIN_NETWORK_POLICIES, BASELINE_ADMIN_NETWORK_POLICIES, NETWORK_POLICIES } from '../cluster/netpol/enforcer.ts';
import { readManifestDir, snapshotFromObjects } from '../cluster/netpol/manifests.ts';
import { formatProbeReport, probeLive, type LiveProbeOptions } from '../cluster/netpol/live-probe.ts';
import { parseDurationMs } from '../util/duration.ts';
import { boolFlag, flag, parseCommand } from './args.ts';
import { clientConfigFromKubeconfig, kubeconfigFlag } from './component-client.ts';

const USAGE = 'usage: portcullis netpol analyze (-f DIR | --live --kubeconfig FILE [--probe [--probe-ports P,..] [--probe-timeout 1s]]) [-o txt|json]';


export async function runNetpol(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => ApiClient, probeSeams: Pick<LiveProbeOptions, 'findNamespaces' | 'proberIn'> = {}): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'analyze') throw new Error(USAGE);
  const args = parseCommand(
    rest.map((a) => (a === '-f' ? '--dir' : a === '-o' ? '--output' : a)),
    { name: 'netpol analyze', flags: ['dir', 'output', 'kubeconfig', 'probe-ports', 'probe-timeout'], booleans: ['live', 'probe'] },
  );
  const output = flag(args, 'output', 'txt');
  if (output !== 'txt' && output !== 'json') throw new Error(`unsupported output format "${output}" (txt or json)`);
  const dir = flag(args, 'dir', '');
  const live = boolFlag(args, 'live', false);
  if (live === (dir !== '')) throw new Error(USAGE);
  const probe = boolFlag(args, 'probe', false);
  if (probe && !live) throw new Error('--probe needs --live (it opens connections between running pods)');
  const probeOpts = probe ? { ...probeSeams, ports: probePorts(flag(args, 'probe-ports', '')), timeoutMs: parseDurationMs(flag(args, 'probe-timeout', '1s')) } : undefined;
  let objects: Array<Record<string, unknown>>;
  if (dir) objects = readManifestDir(dir);
  else {
    const client = makeClient(clientConfigFromKubeconfig(kubeconfigFlag(args, '--live needs --kubeconfig FILE (or KUBECONFIG)')));
    try {
      objects = await liveObjects(client);
    } finally {
      client.close();
    }
  }
  const snap = snapshotFromObjects(objects);
  const conns = connectionList(snap);
  if (!probeOpts) {
    out(output === 'json' ? `${JSON.stringify(conns, null, 2)}\n` : formatConnectionsText(conns));
    return 0;
  }
  const report = await probeLive(snap, { ...probeOpts, exclude: hostNetworkPods(objects) });
  // With --probe the JSON holds both: {connlist, probe} (the connlist alone keeps np-guard's shape).
  if (output === 'json') out(`${JSON.stringify({ connlist: conns, probe: { ports: report.ports, sources: report.sources, elsewhere: report.elsewhere, connections: report.results.length, differences: report.differences } }, null, 2)}\n`);
  else out(formatConnectionsText(conns) + formatProbeReport(report));
  return report.differences.length === 0 ? 0 : 1;
}

/** Pods sharing their node's network namespace: no policy governs them, so they are not probed. */
function hostNetworkPods(objects: ReadonlyArray<Record<string, any>>): Set<string> {
  return new Set(objects.filter((o) => o.kind === 'Pod' && o.spec?.hostNetwork === true).map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`));
}

/** --probe-ports 80,8080: ports to probe on every pod (default: the pods' TCP containerPorts). */
function probePorts(text: string): number[] | undefined {
  if (!text) return undefined;
  return text.split(',').map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid --probe-ports entry "${p}"`);
    return n;
  });
}

/** What the model needs from a live cluster; the admin network policy kinds only where served. */
async function liveObjects(client: ApiClient): Promise<Array<Record<string, unknown>>> {
  const all = async (r: ResourceRef, optional = false): Promise<K8sObject[]> => {
    try {
      const l = await client.list(r, '');
      return l.items.map((o) => ({ ...o, kind: r.kind }));
    } catch (err) {
      if (optional && err instanceof ApiStatusError && err.code === 404) return [];
      throw err;
    }
  };
  const [namespaces, pods, netpols, anps, banps] = await Promise.all([
    all(resources.namespaces),
    all(resources.pods),
    all(NETWORK_POLICIES),
    all(ADMIN_NETWORK_POLICIES, true),
    all(BASELINE_ADMIN_NETWORK_POLICIES, true),
  ]);
  // Pods that are done hold no address and take no traffic.
  const running = pods.filter((p) => !['Succeeded', 'Failed'].includes(String((p as { status?: { phase?: string } }).status?.phase)));
  return [...namespaces, ...running, ...netpols, ...anps, ...banps] as Array<Record<string, unknown>>;
}
