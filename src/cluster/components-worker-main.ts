/**
 * Inside the components worker: the controller manager and the scheduler, as API clients over
 * loopback HTTPS with identities minted from the cluster CA (as in-process), with resource
 * discovery read from the API (as the standalone controller manager). Stops on a 'stop' message.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { mintClientIdentity, KUBE_CONTROLLER_MANAGER, type ComponentIdentity } from './client/identities.ts';
import { RestClient } from './client/rest-client.ts';
import { startApiDiscovery } from './client/api-discovery.ts';
import { startControllerManager } from './controller-manager.ts';
import { startSchedulerProcess } from './scheduler/process.ts';
import type { ComponentsWorkerData } from './components-worker.ts';
import { kubernetesUserAgent } from '../util/http/user-agent.ts';

const d = workerData as ComponentsWorkerData;
const log = pino({ level: d.logLevel });
const ca = { certPem: d.caCertPem, keyPem: d.caKeyPem };
const mintIdentity = (id: ComponentIdentity) => mintClientIdentity(ca, id, { now: new Date() });
const stops: Array<() => Promise<void> | void> = [];
// Upstream's holderIdentity: <hostname>_<uuid>, fresh per start.
const election = () => (d.leaderElect ? { identity: `${hostname()}_${randomUUID()}` } : false);

/**
 * The benchmarks' BENCH_CPU_PROF_DIR (bench/server-child.ts profiles the API server's thread):
 * this thread is profiled from start to stop into components-worker.cpuprofile there.
 */
async function startProfile(dir: string): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  stops.push(async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, 'components-worker.cpuprofile'), JSON.stringify(profile));
    session.disconnect();
  });
}

async function start(): Promise<void> {
  if (process.env.BENCH_CPU_PROF_DIR) await startProfile(process.env.BENCH_CPU_PROF_DIR);
  if (d.controllers) {
    const discoClient = new RestClient({ server: d.server, identity: await mintIdentity(KUBE_CONTROLLER_MANAGER), userAgent: kubernetesUserAgent('kube-controller-manager', 'controller-discovery') });
    stops.push(() => discoClient.close());
    const discovery = await startApiDiscovery(discoClient, { onError: (err) => log.warn({ err }, 'discovery failed; keeping the last list') });
    stops.push(() => discovery.stop());
    const cm = await startControllerManager({ server: d.server, mintIdentity, controllers: d.controllers, clusterCIDR: d.clusterCIDR, leaderElection: election(), discovery: () => discovery.current(), rootCaPem: d.caCertPem, clusterSigningCa: ca, log: log.child({ component: 'kube-controller-manager' }) });
    stops.push(() => cm.stop());
  }
  if (d.scheduler) {
    const s = await startSchedulerProcess({ server: d.server, mintIdentity, leaderElection: election(), parallelBinds: d.parallelBinds, log: log.child({ component: 'kube-scheduler' }), ...d.schedulerSettings });
    stops.push(() => s.stop());
  }
}

parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  void (async () => {
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch (err) {
        log.error({ err }, 'stopping a component failed');
      }
    }
    parentPort!.postMessage('stopped');
  })();
});

start().then(
  () => parentPort!.postMessage('started'),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
