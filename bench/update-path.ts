/**
 * CPU per write on the update path, in-process: the REST handler (dispatch) plus the JSON encode
 * of its answer, against the control plane's real store (SQLite behind the watch cache), with
 * no HTTP or TLS. Cases follow the scale bench's writes: a simulated kubelet's pods/status merge
 * patch, a node Lease renewal (merge patch), a ConfigMap PUT, a strategic patch of a Deployment's
 * labels and a server-side apply. CPU time (process.cpuUsage) is the figure that holds on a loaded
 * machine. Usage: node --import tsx bench/update-path.ts [writes per case]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane } from '../src/server/control-plane.ts';
import { parseRequestInfo } from '../src/server/request-info.ts';
import { dispatch } from '../src/server/rest/dispatch.ts';
import type { RestContext, RestRequest } from '../src/server/rest/context.ts';
import { emptyOutcome } from '../src/admission/chain.ts';
import { runningStatus } from '../src/cluster/sim/pod-status.ts';

const N = Number(process.argv[2] ?? 2000);
const NS = 'default';

function request(ctx: RestContext, method: string, path: string, body: unknown, contentType = 'application/json', agent = 'bench'): RestRequest {
  const [p, q = ''] = path.split('?');
  const query = new URLSearchParams(q);
  const info = parseRequestInfo(method, p!, query);
  const def = ctx.registry.get(info.apiGroup, info.apiVersion, info.resource)!;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    info,
    def,
    user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    query,
    headers: { 'content-type': contentType, 'user-agent': `${agent}/1.0` },
    body: Buffer.from(text),
    warnings: [],
    admission: emptyOutcome(),
  };
}

async function call(ctx: RestContext, method: string, path: string, body: unknown, contentType?: string, agent?: string): Promise<any> {
  const res = await dispatch(ctx, request(ctx, method, path, body, contentType, agent));
  if (res.code >= 300) throw new Error(`${method} ${path}: ${res.code} ${JSON.stringify(res.body)}`);
  const text = res.raw ?? JSON.stringify(res.body);
  return text.length;
}

const pod = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p-${i}`, labels: { app: 'web' } },
  spec: { nodeName: 'sim-0', containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
});
const lease = (i: number) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: `n-${i}` }, spec: { holderIdentity: `n-${i}`, leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' } });
const cm = (i: number, v: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c-${i}` }, data: { a: String(v), b: 'x'.repeat(64) } });
const deploy = (i: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: `d-${i}`, labels: { app: `d-${i}` } },
  spec: { replicas: 1, selector: { matchLabels: { app: `d-${i}` } }, template: { metadata: { labels: { app: `d-${i}` } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
});
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

/** With BENCH_CPU_PROF_DIR, each case's measured writes are profiled into <dir>/<case>.cpuprofile. */
const PROF_DIR = process.env.BENCH_CPU_PROF_DIR;
const session = PROF_DIR ? new Session() : undefined;
session?.connect();
const post = (method: string): Promise<any> => new Promise((res, rej) => session!.post(method, (err, out) => (err ? rej(err) : res(out))));

async function measure(label: string, n: number, run: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(50, n); i++) await run(i); // warm-up (its own objects)
  if (session) {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 50; i < n + 50; i++) await run(i);
  const cpu = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  if (session) {
    const { profile } = await post('Profiler.stop');
    mkdirSync(PROF_DIR!, { recursive: true });
    writeFileSync(join(PROF_DIR!, `${label.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`), JSON.stringify(profile));
  }
  console.log(JSON.stringify({ case: label, writes: n, cpuUsPerWrite: Math.round((cpu.user + cpu.system) / n), wallUsPerWrite: Math.round(wall) }));
}

const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-update-bench-'));
const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false });
const ctx = cp.server.ctx;
try {
  const total = N + 50;
  // The ServiceAccount admission plugin needs the namespace's default account (no controllers run here).
  await call(ctx, 'POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  for (let i = 0; i < total; i++) {
    await call(ctx, 'POST', `/api/v1/namespaces/${NS}/pods`, pod(i));
    await call(ctx, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, lease(i));
    await call(ctx, 'POST', `/api/v1/namespaces/${NS}/configmaps`, cm(i, 0));
    await call(ctx, 'POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deploy(i));
  }
  const base = Date.parse('2026-01-01T00:00:00Z');
  await measure('pods/status merge patch (sim kubelet)', N, (i) =>
    call(ctx, 'PATCH', `/api/v1/namespaces/${NS}/pods/p-${i}/status`, { status: runningStatus({ ...pod(i), metadata: { name: `p-${i}`, uid: String(i) } }, { podIP: '10.0.0.1', hostIP: '10.1.0.1' }, base) }, 'application/merge-patch+json', 'sim'),
  );
  // Nodes renew the same Lease every 10 s: after the warm-up every measured write is a renewal.
  await measure('lease renew merge patch', N, (i) =>
    call(ctx, 'PATCH', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/n-${i % 50}`, { spec: { holderIdentity: `n-${i % 50}`, leaseDurationSeconds: 40, renewTime: micro(base + i) } }, 'application/merge-patch+json', 'sim'),
  );
  await measure('configmap PUT', N, (i) => call(ctx, 'PUT', `/api/v1/namespaces/${NS}/configmaps/c-${i}`, cm(i, 1)));
  await measure('deployment strategic patch (labels)', N, (i) =>
    call(ctx, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/d-${i}`, { metadata: { labels: { tier: 'x' } } }, 'application/strategic-merge-patch+json', 'kubectl'),
  );
  await measure('deployment apply', N, (i) =>
    call(ctx, 'PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/d-${i}?fieldManager=bench-apply`, { ...deploy(i), metadata: { name: `d-${i}`, annotations: { note: 'applied' } } }, 'application/apply-patch+yaml'),
  );
} finally {
  await cp.close();
  rmSync(dataDir, { recursive: true, force: true });
}
