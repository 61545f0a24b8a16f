/**
 * `portcullis sim nodes N --kubeconfig FILE`: N simulated nodes in the manner of kwok, acting as
 * the kubeconfig's identity until SIGINT or SIGTERM. The RBAC it needs is
 * policies/examples/simulated-nodes-role.yaml.
 */
import pino from 'pino';
import { loadWebhookKubeconfig } from '../authn/webhook-token.ts';
import type { ApiClient, ClientConfig } from '../cluster/client/types.ts';
import { DEFAULT_CAPACITY } from '../cluster/sim/config.ts';
import { startSimNodes } from '../cluster/sim/sim-nodes.ts';
import { commaList, durationFlag, flag, parseCommand } from './args.ts';

export type ClientMaker = (config: ClientConfig) => ApiClient;

const USER_AGENT = 'portcullis-sim';

/** The cluster and identity of the kubeconfig's current context. */
export function clientConfigFromKubeconfig(path: string): ClientConfig {
  let ep;
  try {
    ep = loadWebhookKubeconfig(path);
  } catch (err) {
    // One kubeconfig reader serves the webhooks and this; say which file it was about.
    throw new Error((err as Error).message.replace(/^webhook config /, 'kubeconfig '));
  }
  // The simulator trusts the cluster's CA only, never the system roots.
  if (ep.caPem === undefined) throw new Error(`kubeconfig '${path}': the cluster has no certificate-authority`);
  if (ep.certPem === undefined && ep.bearerToken === undefined) throw new Error(`kubeconfig '${path}': the user has neither a client certificate nor a token`);
  return {
    server: ep.url.origin,
    identity: { caPem: ep.caPem, ...(ep.certPem ? { certPem: ep.certPem, keyPem: ep.keyPem } : {}), ...(ep.bearerToken ? { token: ep.bearerToken } : {}) },
    userAgent: USER_AGENT,
  };
}

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
  const args = parseCommand(rest, { name: 'sim nodes', maxPositional: 1, flags: ['kubeconfig', 'name-prefix', 'capacity', 'job-run-time', 'lease-renew-interval', 'status-update-interval', 'max-in-flight', 'log-level'] });
  const countText = args.positional[0] ?? '';
  if (!/^\d{1,6}$/.test(countText)) throw new Error(`the number of nodes is required, as a positive integer: got ${JSON.stringify(countText)}`);
  const kubeconfig = flag(args, 'kubeconfig', '') || process.env.KUBECONFIG || '';
  if (!kubeconfig) throw new Error('--kubeconfig is required');
  const maxInFlight = Number(flag(args, 'max-in-flight', '32'));
  const logger = pino({ level: flag(args, 'log-level', 'info') });
  const settings = {
    count: Number(countText),
    namePrefix: flag(args, 'name-prefix', 'sim-node-'),
    capacity: capacityFlag(commaList(args, 'capacity')),
    jobRunTimeMs: durationFlag(args, 'job-run-time', '5s'),
    leaseRenewMs: durationFlag(args, 'lease-renew-interval', '10s'),
    statusUpdateMs: durationFlag(args, 'status-update-interval', '1m'),
    maxInFlight,
    log: logger,
  };
  const config = clientConfigFromKubeconfig(kubeconfig);
  const client = makeClient(config);
  try {
    const sim = await startSimNodes({ client, ...settings });
    const names = sim.nodeNames;
    out(`simulating ${names.length} nodes (${names[0]}${names.length > 1 ? ` .. ${names[names.length - 1]}` : ''}) against ${config.server}\n`);
    await (stopSignal ??
      new Promise<void>((resolveStop) => {
        process.once('SIGINT', () => resolveStop());
        process.once('SIGTERM', () => resolveStop());
      }));
    sim.stop();
  } finally {
    client.close();
  }
  return 0;
}
