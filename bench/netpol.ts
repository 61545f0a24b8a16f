/**
 * NetworkPolicy programming cost on one node: compile the policy model, render the nftables table
 * and load it with `nft -f` (in a throw-away network namespace; the load is skipped, and said so,
 * without root or nft). Reported: the time from a policy change to the table being in the kernel
 * (p50/p99 over repeated single-policy changes at 200 pods x 200 policies), and rule count and
 * programming time at growing sizes up to 1,000 pods x 1,000 policies, with the direct analysis
 * (evaluating every pod pair) next to it as the in-run baseline.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PolicyModel } from '../src/cluster/netpol/compile.ts';
import { renderNftables, renderPodUpdates } from '../src/cluster/netpol/nftables.ts';
import { allowedBetween } from '../src/cluster/netpol/evaluate.ts';
import type { NamespaceInfo, PodInfo } from '../src/cluster/netpol/types.ts';
import { summarize, round } from './stats.ts';

type Json = Record<string, unknown>;

export function cluster(pods: number, policies: number): { pods: PodInfo[]; namespaces: Map<string, NamespaceInfo>; netpols: Json[] } {
  const nsCount = Math.max(1, Math.round(pods / 20));
  const namespaces = new Map<string, NamespaceInfo>();
  for (let n = 0; n < nsCount; n++) namespaces.set(`t${n}`, { name: `t${n}`, labels: { 'kubernetes.io/metadata.name': `t${n}`, tier: n % 2 ? 'backend' : 'frontend' } });
  const list: PodInfo[] = [];
  for (let i = 0; i < pods; i++) {
    const ns = `t${i % nsCount}`;
    list.push({ key: `${ns}/p${i}`, namespace: ns, name: `p${i}`, labels: { app: `a${i % 10}`, role: i % 3 ? 'web' : 'db' }, ports: [{ name: 'http', containerPort: 8080 }], owner: { kind: 'Pod', name: `p${i}` }, ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] });
  }
  const netpols: Json[] = [];
  for (let j = 0; j < policies; j++) {
    const ns = `t${j % nsCount}`;
    const kind = j % 4;
    const spec =
      kind === 0
        ? { podSelector: {}, policyTypes: ['Ingress'] }
        : kind === 1
          ? { podSelector: { matchLabels: { app: `a${j % 10}` } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { tier: 'frontend' } } }], ports: [{ port: 'http' }] }] }
          : kind === 2
            ? { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'web' } } }], ports: [{ port: 5432 }, { port: 6000, endPort: 6100 }] }] }
            : { podSelector: { matchLabels: { app: `a${j % 10}` } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `192.168.${j % 256}.0/24`, except: [`192.168.${j % 256}.128/25`] } }, { namespaceSelector: {} }] }] };
    netpols.push({ metadata: { name: `np${j}`, namespace: ns }, spec });
  }
  return { pods: list, namespaces, netpols };
}

export class Netns {
  readonly name = `pcb-${randomBytes(3).toString('hex')}`;
  constructor() {
    execFileSync('ip', ['netns', 'add', this.name]);
  }
  load(script: string): void {
    execFileSync('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], { input: script, maxBuffer: 256 << 20 });
  }
  /** The same, without blocking the event loop (an API server may share the process). */
  loadAsync(script: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d) => (err += d));
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nft -f: exit ${code}: ${err.slice(0, 500)}`))));
      p.stdin!.end(script);
    });
  }
  destroy(): void {
    execFileSync('ip', ['netns', 'del', this.name]);
  }
}

export function canLoad(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function program(c: ReturnType<typeof cluster>, local: number, ns?: Netns) {
  const t0 = performance.now();
  const model = new PolicyModel({ pods: c.pods, namespaces: c.namespaces, policies: { networkPolicies: c.netpols, adminNetworkPolicies: [] } });
  const localPods = c.pods.slice(0, local);
  const r = renderNftables(model, localPods, { podNetworks: ['10.0.0.0/8'], allPods: c.pods });
  const t1 = performance.now();
  ns?.load(r.script);
  const t2 = performance.now();
  return { sets: r.sets, chains: r.chains, podChains: r.podChains, ruleCount: r.ruleCount, scriptBytes: r.script.length, compileRenderMs: round(t1 - t0), nftLoadMs: ns ? round(t2 - t1) : null, totalMs: round(t2 - t0) };
}

export async function benchNetpol(opts: { iterations?: number } = {}) {
  const load = canLoad();
  const ns = load ? new Netns() : undefined;
  try {
    // Policy change to enforcement, 200 pods x 200 policies, all on this node: a full render
    // first, then each change sends only the rule chains the table lacks and re-points the selected pods.
    const base = cluster(200, 200);
    const full = program(base, base.pods.length, ns);
    // What the enforcer remembers of its table between renders.
    const known = new Set(full.sets);
    const knownChains = new Set(full.chains);
    const knownPodChains = new Map(full.podChains);
    const latencies: number[] = [];
    const touched: number[] = [];
    const scriptBytes: number[] = [];
    for (let i = 0; i < (opts.iterations ?? 30); i++) {
      const j = (i * 7) % base.netpols.length;
      const old = base.netpols[j]!;
      const changed = { ...old, spec: { ...(old.spec as Json), podSelector: { matchLabels: { app: `a${i % 10}` } } } };
      base.netpols[j] = changed;
      const t0 = performance.now();
      const model = new PolicyModel({ pods: base.pods, namespaces: base.namespaces, policies: { networkPolicies: base.netpols, adminNetworkPolicies: [] } });
      const affected = [...new Set([...model.selectedBy(old), ...model.selectedBy(changed)])];
      const r = renderPodUpdates(model, affected, { podNetworks: ['10.0.0.0/8'], allPods: base.pods, knownSets: known, knownChains, knownPodChains });
      if (r.script.trim()) ns?.load(r.script);
      for (const name of r.sets) known.add(name);
      for (const name of r.chains) knownChains.add(name);
      for (const [pod, target] of r.podChains) knownPodChains.set(pod, target);
      scriptBytes.push(r.script.length);
      latencies.push(performance.now() - t0);
      touched.push(affected.length);
    }
    const growth = [];
    for (const [pods, policies] of [[100, 100], [200, 200], [500, 500], [1000, 1000]] as const) {
      const c = cluster(pods, policies);
      const r = program(c, Math.min(pods, 100), ns);
      // The in-run baseline: evaluating every pair of pods with the same model (the analysis).
      const model = new PolicyModel({ pods: c.pods, namespaces: c.namespaces, policies: { networkPolicies: c.netpols, adminNetworkPolicies: [] } });
      const t0 = performance.now();
      let allowed = 0;
      for (const s of c.pods.slice(0, 100)) for (const d of c.pods) if (!allowedBetween({ policy: model.policyFor(s), peer: { kind: 'pod', pod: s } }, { policy: model.policyFor(d), peer: { kind: 'pod', pod: d } }).isEmpty) allowed++;
      growth.push({ pods, policies, localPods: Math.min(pods, 100), ...r, sets: r.sets.length, chains: r.chains.length, podChains: r.podChains.size, analysis100xAllMs: round(performance.now() - t0), allowedPairs: allowed });
    }
    const change = summarize(latencies);
    return {
      nftLoaded: load,
      note: load ? 'compile + render + nft -f into a network namespace' : 'nft -f skipped (needs root and nftables): compile + render only',
      fullRender200x200: { ...full, sets: full.sets.length, chains: full.chains.length, podChains: full.podChains.size },
      updateScriptBytes: summarize(scriptBytes),
      policyChangeToEnforcedMs: change,
      podsTouchedPerChange: summarize(touched),
      target: { p99Under200ms: change.p99 <= 200 },
      growth,
    };
  } finally {
    ns?.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchNetpol().then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'));
}
