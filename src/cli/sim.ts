/**
 * `portcullis sim nodes N --kubeconfig FILE`: N simulated nodes in the manner of kwok, acting as
 * the kubeconfig's identity until SIGINT or SIGTERM, serving metrics.k8s.io for their pods
 * (metrics-registration.ts). The RBAC it needs is policies/examples/simulated-nodes-role.yaml.
 */
import pino from 'pino';
import type { ApiClient, ClientConfig } from '../cluster/client/types.ts';
import { DEFAULT_CAPACITY } from '../cluster/sim/config.ts';
import { startSimNodes } from '../cluster/sim/sim-nodes.ts';
import { defaultMetricsHost, serveSimMetrics, type SimMetrics } from '../cluster/sim/metrics-registration.ts';
import { commaList, durationFlag, flag, parseCommand } from './args.ts';
import { clientConfigFromKubeconfig, kubeconfigFlag } from './component-client.ts';

export type ClientMaker = (config: ClientConfig) => ApiClient;

export { clientConfigFromKubeconfig };

function capacityFlag(values: string[]): Record<string, string> {
  const out: Record<string, string> = { ...DEFAULT_CAPACITY };
  for (const kv of values) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`invalid argument ${JSON.stringify(kv)} for "--capacity" flag: want NAME=QUANTITY`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

export async function runSim(argv: string[], out: (s: string) => void, makeClient: ClientMaker, stopSignal?: Promise<void>): Promise<number> {
  const [what, ...rest] = argv;
  if (what !== 'nodes') throw new Error(`unknown simulation ${JSON.stringify(what ?? '')}: try "portcullis sim nodes N --kubeconfig FILE"`);
  const args = parseCommand(rest, { name: 'sim nodes', maxPositional: 1, flags: ['kubeconfig', 'name-prefix', 'capacity', 'job-run-time', 'lease-renew-interval', 'status-update-interval', 'max-in-flight', 'log-level', 'metrics-address'] });
  const countText = args.positional[0] ?? '';
  if (!/^\d{1,6}$/.test(countText)) throw new Error(`the number of nodes is required, as a positive integer: got ${JSON.stringify(countText)}`);
  const kubeconfig = kubeconfigFlag(args);
  const maxInFlight = Number(flag(args, 'max-in-flight', '32'));
  const logger = pino({ level: flag(args, 'log-level', 'info') });
  const settings = {
    count: Number(countText),
    namePrefix: flag(args, 'name-prefix', 'sim-node-'),
    capacity: capacityFlag(commaList(args, 'capacity')),
    jobRunTimeMs: durationFlag(args, 'job-run-time', '5s'),
    leaseRenewMs: durationFlag(args, 'lease-renew-interval', '10s'),
    statusUpdateMs: durationFlag(args, 'status-update-interval', '5m'),
    maxInFlight,
    log: logger,
  };
  const config = clientConfigFromKubeconfig(kubeconfig);
  const client = makeClient(config);
  try {
    const sim = await startSimNodes({ client, ...settings });
    // Listening before anything else is awaited: a signal during the metrics registration still stops cleanly.
    const stopped =
      stopSignal ??
      new Promise<void>((resolveStop) => {
        process.once('SIGINT', () => resolveStop());
        process.once('SIGTERM', () => resolveStop());
      });
    const names = sim.nodeNames;
    out(`simulating ${names.length} nodes (${names[0]}${names.length > 1 ? ` .. ${names[names.length - 1]}` : ''}) against ${config.server}\n`);
    // metrics.k8s.io for kubectl top and the HPA, on a node address (the API refuses loopback
    // endpoints); --metrics-address=none leaves it out. Without it the nodes still run.
    const metricsAddress = flag(args, 'metrics-address', '') || defaultMetricsHost();
    let metrics: SimMetrics | undefined;
    if (metricsAddress && metricsAddress !== 'none') {
      try {
        metrics = await serveSimMetrics({ client, host: metricsAddress, pods: () => sim.runningPods(), nodes: () => sim.nodeNames, usage: sim.usage, now: Date.now });
        out(`serving metrics.k8s.io at ${metrics.url} (APIService v1beta1.metrics.k8s.io)\n`);
      } catch (err) {
        logger.error({ err }, 'metrics.k8s.io is not served');
      }
    } else if (!metricsAddress) {
      logger.error('metrics.k8s.io is not served: this host has no non-loopback IPv4 address; give --metrics-address');
    }
    await stopped;
    await metrics?.stop();
    sim.stop();
  } finally {
    client.close();
  }
  return 0;
}
