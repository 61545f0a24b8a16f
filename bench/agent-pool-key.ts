/**
 * CPU per AgentPool.agentFor call on a warm pool (the agent exists): what finding the pool entry
 * costs a webhook call or a proxied request. In-process, CPU time (process.cpuUsage), alternating
 * rounds so a shared machine's noise falls on every variant alike. Run: node bench/agent-pool-key.ts
 */
import { createCA } from '../src/pki/ca.ts';
import { issueCert } from '../src/pki/certs.ts';
import { AgentPool } from '../src/util/http/agent-pool.ts';

const ca = createCA({ commonName: 'bench-ca', now: new Date(), validityDays: 1 });
const client = issueCert(ca, { commonName: 'bench-client', usage: 'client', now: new Date(), validityDays: 1 });
const N = Number(process.env.N ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);

const variants: Record<string, () => void> = {};
const pool = new AgentPool();
// As the callers build it: a fresh material object per call, the same PEM strings.
variants['ca only (admission webhook)'] = () => void pool.agentFor('10.0.0.1', 443, { caPem: ca.certPem, serverName: 'svc.ns.svc' });
variants['ca + client cert + key (aggregation)'] = () => void pool.agentFor('10.0.0.2', 443, { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem, serverName: 'api.ns.svc' });

const perCall: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    for (let i = 0; i < 1000; i++) fn();
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) fn();
    const d = process.cpuUsage(t0);
    (perCall[name] ??= []).push(((d.user + d.system) * 1000) / N);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({ pemBytes: { ca: ca.certPem.length, cert: client.certPem.length, key: client.keyPem.length }, nsPerCallMedian: Object.fromEntries(Object.entries(perCall).map(([k, v]) => [k, Math.round(median(v))])), nsPerCallRounds: Object.fromEntries(Object.entries(perCall).map(([k, v]) => [k, v.map(Math.round)])) }, null, 1));
pool.close();
