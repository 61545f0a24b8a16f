/**
 * The in-process admission chain (every default plugin, plus LimitRanger and ResourceQuota on a
 * namespace that has a LimitRange and a ResourceQuota) on a typical pod, next to the same chain as
 * a dry run (no quota write) and the bare create of the pod into the same store; and quota
 * charging under 50 concurrent writers. The store is the real SQLite store (in memory) behind the
 * watch cache.
 */
import pino from 'pino';
import { AdmissionChain, emptyOutcome } from '../src/admission/chain.ts';
import { buildAdmissionPlugins } from '../src/admission/registry.ts';
import type { AdmissionAttributes } from '../src/admission/types.ts';
import { MastersAuthorizer } from '../src/authz/masters.ts';
import { openSqliteStore } from '../src/storage/sqlite.ts';
import { createWatchCache } from '../src/storage/watch-cache.ts';
import { applyDefaults } from '../src/api/defaults/index.ts';

const NS = 'bench';

function podAttrs(i: number): AdmissionAttributes {
  const pod: Record<string, any> = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: NS, labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
  };
  applyDefaults({ group: '', version: 'v1', kind: 'Pod' }, pod);
  return {
    operation: 'CREATE',
    object: pod,
    oldObject: undefined,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    subresource: '',
    namespace: NS,
    name: `p${i}`,
    user: { username: 'alice', groups: ['dev', 'system:authenticated'] },
    dryRun: false,
  };
}

function summary(samples: number[]): { p50Us: number; p99Us: number; meanUs: number } {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 1000) / 1000;
  return { p50Us: q(0.5), p99Us: q(0.99), meanUs: Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 1000) / 1000 };
}

export async function benchAdmission(iterations = 5000) {
  const store = createWatchCache(openSqliteStore({ path: ':memory:', durability: 'normal' }));
  const now = () => new Date();
  await store.create(`/registry/core/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, uid: 'ns' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  await store.create(`/registry/core/serviceaccounts/${NS}/default`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: NS, uid: 'sa' } });
  await store.create(`/registry/core/limitranges/${NS}/lr`, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: NS, uid: 'lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m', memory: '64Mi' } }] } });
  await store.create(`/registry/core/resourcequotas/${NS}/q`, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: NS, uid: 'q' }, spec: { hard: { pods: '1000000', 'requests.cpu': '100000', 'requests.memory': '1000Ti' } }, status: { hard: { pods: '1000000', 'requests.cpu': '100000', 'requests.memory': '1000Ti' }, used: { pods: '0', 'requests.cpu': '0', 'requests.memory': '0' } } });
  const deps = { store, authorizer: new MastersAuthorizer(), now, random: Math.random, newUid: () => 'uid', log: pino({ level: 'silent' }) };
  const plugins = buildAdmissionPlugins({}, deps);
  const chain = new AdmissionChain(plugins.mutating, plugins.validating);
  const run = async (i: number) => {
    const a = podAttrs(i);
    const out = emptyOutcome();
    await chain.admit(a, out);
    await chain.validate(a, out);
  };
  for (let i = 0; i < 500; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = process.hrtime.bigint();
    await run(1000 + i);
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  // The same chain with dryRun: every check, no quota write (what the chain costs besides storage).
  const checksOnly: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const a = { ...podAttrs(50_000 + i), dryRun: true };
    const t = process.hrtime.bigint();
    const out = emptyOutcome();
    await chain.admit(a, out);
    await chain.validate(a, out);
    checksOnly.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  // The bare create of the same pod into the same store, as the API server's storage stage does it.
  const bare: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const a = podAttrs(60_000 + i);
    const t = process.hrtime.bigint();
    await store.create(`/registry/core/pods/${NS}/${a.name}`, a.object);
    bare.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  // 50 concurrent writers charging the same quota.
  const concurrent: number[] = [];
  const started = process.hrtime.bigint();
  let next = 100_000;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let k = 0; k < 40; k++) {
        const t = process.hrtime.bigint();
        await run(next++);
        concurrent.push(Number(process.hrtime.bigint() - t) / 1000);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const p of [...plugins.mutating, ...plugins.validating]) (p as { close?: () => void }).close?.();
  await store.close();
  return {
    plugins: plugins.enabled,
    sequential: { iterations, ...summary(samples) },
    checksOnlyDryRun: summary(checksOnly),
    bareCreate: summary(bare),
    chainVsBareCreateP50: Math.round((summary(samples).p50Us / summary(bare).p50Us) * 100) / 100,
    quotaCharging50Writers: { admissions: concurrent.length, perSecond: Math.round(concurrent.length / seconds), ...summary(concurrent) },
    target: { p99Under100us: summary(samples).p99Us <= 100 },
  };
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await benchAdmission(), null, 2)}\n`);
