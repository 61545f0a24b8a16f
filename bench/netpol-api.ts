/**
 * NetworkPolicy create → enforced on every affected pod, measured through the API: an API server
 * (SQLite) holds 200 pods on one node and 200 policies (bench/netpol.ts's cluster shape); the
 * node's enforcer follows them with informers and loads its table into a network namespace. Each
 * sample POSTs a new policy and stops the clock when `nft -f` has returned for the render that
 * carries the policy's rules (one transaction holds the chains of every pod it selects). Next to
 * it, in the same run: the enforcer's own compile + render + load time for the same changes, so
 * the difference is the API write, the watch and the informer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane } from '../src/server/control-plane.ts';
import { RestClient } from '../src/cluster/client/rest-client.ts';
import { SharedInformerFactory } from '../src/cluster/client/informer.ts';
import { resources } from '../src/cluster/client/resources.ts';
import type { K8sObject } from '../src/cluster/client/types.ts';
import { NETWORK_POLICIES, NetpolEnforcer } from '../src/cluster/netpol/enforcer.ts';
import { ConcurrencyLimit } from '../src/util/concurrency-limit.ts';
import { canLoad, cluster, Netns } from './netpol.ts';
import { round, summarize } from './stats.ts';

const NODE = 'bench-node';

export async function benchNetpolThroughApi(opts: { pods?: number; policies?: number; iterations?: number } = {}) {
  if (!canLoad()) return { skipped: 'needs root and nftables (nft -f into a network namespace)' };
  const shape = cluster(opts.pods ?? 200, opts.policies ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'bench-netpol-api-'));
  const ns = new Netns();
  const cp = await startControlPlane({ dataDir: dir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false });
  const client = new RestClient({ server: cp.url, identity: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, userAgent: 'bench-netpol-api' });
  const factory = new SharedInformerFactory({ client });
  let enforcer: NetpolEnforcer | undefined;
  try {
    const limit = new ConcurrencyLimit(16);
    const all = <T>(items: T[], f: (x: T) => Promise<unknown>) => Promise.all(items.map((x) => limit.run(() => f(x))));
    await all([...shape.namespaces.values()], (n) => client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, labels: n.labels } } as K8sObject));
    // No controller manager runs: the default ServiceAccounts the ServiceAccount admission plugin looks up.
    await all([...shape.namespaces.values()], (n) => client.create(resources.serviceaccounts, n.name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } as K8sObject));
    await all(shape.pods, async (p) => {
      const made = await client.create(resources.pods, p.namespace, { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, labels: p.labels }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', ports: p.ports.map((x) => ({ name: x.name, containerPort: x.containerPort })) }] } } as K8sObject);
      await client.update(resources.pods, p.namespace, { ...made, status: { phase: 'Running', podIP: p.ips[0], podIPs: [{ ip: p.ips[0] }] } } as K8sObject, 'status');
    });
    await all(shape.netpols, (np) => client.create(NETWORK_POLICIES, String((np.metadata as { namespace: string }).namespace), { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...np } as K8sObject));

    // Loads watch for the rules of the policy being timed.
    let waitingFor: { marker: string; done: () => void } | undefined;
    const loadMs: number[] = [];
    const scriptBytes: number[] = [];
    const nftMs: number[] = [];
    enforcer = new NetpolEnforcer({
      factory, nodeName: NODE, podNetworks: ['10.0.0.0/8'], adminPolicies: false,
      apply: async (script) => {
        const t = performance.now();
        await ns.loadAsync(script);
        if (waitingFor && script.includes(waitingFor.marker)) {
          nftMs.push(performance.now() - t);
          scriptBytes.push(script.length);
          waitingFor.done();
        }
      },
    });
    const t0 = performance.now();
    await enforcer.start();
    const firstFullMs = performance.now() - t0;
    const fullRules = enforcer.stats.lastRuleCount;

    const latencies: number[] = [];
    const touched: number[] = [];
    const iterations = opts.iterations ?? 30;
    const namespaces = [...shape.namespaces.keys()];
    for (let i = 0; i < iterations; i++) {
      const namespace = namespaces[i % namespaces.length]!;
      const name = `bench-change-${i}`;
      const policy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec: { podSelector: { matchLabels: { app: `a${i % 10}` } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'web' } } }], ports: [{ port: 7000 + i }] }] } };
      const marker = JSON.stringify(`NetworkPolicy ${namespace}/${name} ingress rule 0`);
      const enforced = new Promise<void>((done) => (waitingFor = { marker, done }));
      const start = performance.now();
      await client.create(NETWORK_POLICIES, namespace, policy as unknown as K8sObject);
      await enforced;
      latencies.push(performance.now() - start);
      // The render that carried it has finished its bookkeeping once the enforcer is idle.
      await enforcer.idle();
      loadMs.push(enforcer.stats.lastMs);
      touched.push(shape.pods.filter((p) => p.namespace === namespace && p.labels.app === `a${i % 10}`).length);
      waitingFor = undefined;
    }
    const change = summarize(latencies);
    return {
      pods: shape.pods.length,
      policies: shape.netpols.length,
      note: 'POST NetworkPolicy -> watch -> informer -> enforcer render -> nft -f returned (all selected pods in one transaction)',
      firstFullRender: { ms: round(firstFullMs), rules: fullRules },
      createToEnforcedMs: change,
      enforcerRenderAndLoadMs: summarize(loadMs),
      nftLoadMs: summarize(nftMs),
      updateScriptBytes: summarize(scriptBytes),
      podsSelectedPerChange: summarize(touched),
      target: { p99Under200ms: change.p99 <= 200 },
    };
  } finally {
    enforcer?.stop();
    factory.stop();
    client.close();
    await cp.close();
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchNetpolThroughApi().then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'));
}
