/**
 * CPU per write on the update path, in-process: the REST handler (dispatch) plus the JSON encode
 * of its answer, against the control plane's real store (SQLite behind the watch cache), with
 * no HTTP or TLS. Cases follow the scale bench's writes: a simulated kubelet's pods/status merge
 * patch, a node Lease renewal (merge patch), a ConfigMap PUT, a strategic patch of a Deployment's
 * labels and a server-side apply. CPU time (process.cpuUsage) is the figure that holds on a loaded
 * machine (harness: bench/in-process-dispatch.ts). Usage: node bench/update-path.ts [writes per case]
 */
import { call, measure as measureCase, withControlPlane } from './in-process-dispatch.ts';
import { runningStatus } from '../src/cluster/sim/pod-status.ts';

const N = Number(process.argv[2] ?? 2000);
const NS = 'default';

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

async function measure(label: string, n: number, run: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(50, n); i++) await run(i); // warm-up (its own objects)
  console.log(JSON.stringify(await measureCase(label, n, run, 50)));
}

await withControlPlane(async (ctx) => {
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
});
