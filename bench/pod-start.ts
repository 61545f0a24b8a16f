/**
 * Pod start on one node agent (issue 13's goal: create → Running for 50 pods at once, image
 * present, p50 ≤ 300 ms, p99 ≤ 1 s; upstream's SLO is 5 s): a control plane in this process with
 * the CSR controllers, one agent joined by bootstrap token, and BENCH_PODS (50) pods bound to its
 * node created at once; each pod's time runs from its create request to the first watch event that
 * shows it Running. On the runc runtime with a busybox image already in the node's store when this
 * runs as root with runc and busybox-static, else on the fake runtime (what the agent and the API
 * add on their own) — the result says which (BENCH_POD_RUNTIME=fake forces the fake). Baseline in the same run: the create requests'
 * own latency. The agent shares this process with the server, so its memory is not reported apart.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane } from '../src/server/control-plane.ts';
import { RestClient } from '../src/cluster/client/rest-client.ts';
import { resources } from '../src/cluster/client/resources.ts';
import type { K8sObject } from '../src/cluster/client/types.ts';
import { startAgent } from '../src/cluster/agent/agent.ts';
import { createJoinToken } from '../src/cluster/agent/join-token.ts';
import { missingForRunc, removeEverything } from '../src/cluster/agent/node-runtime.ts';
import { FakeImageService, FakeRuntime } from '../src/cluster/agent/runtime/fake.ts';
import type { ContainerRuntime, ImageService } from '../src/cluster/agent/runtime/types.ts';
import { ratio, summarize, type LatencySummary } from './stats.ts';

export interface PodStartResult {
  runtime: 'runc' | 'fake';
  pods: number;
  podStartMs: LatencySummary;
  createAckMs: LatencySummary;
  podStartVsCreateP50: number;
  target: { p50Under300ms: boolean; p99Under1s: boolean };
}

const quiet = { info() {}, warn() {}, error() {} };
const step = (m: string) => process.env.BENCH_DEBUG && process.stderr.write(`pod-start: ${m}\n`);

async function realRuntime(dir: string): Promise<{ runtime: ContainerRuntime; images: ImageService; image: string; close(): Promise<void> } | undefined> {
  if (process.env.BENCH_POD_RUNTIME === 'fake' || missingForRunc().length || !existsSync('/bin/busybox')) return undefined;
  const { busyboxRootfs } = await import('../src/cluster/agent/runtime/busybox-rootfs.ts');
  const { buildImage } = await import('../src/image-policy/oci/build.ts');
  const { ImageStore } = await import('../src/cluster/agent/runtime/image-store.ts');
  const { RuncRuntime } = await import('../src/cluster/agent/runtime/runc.ts');
  const ctx = await busyboxRootfs(join(dir, 'ctx'));
  await buildImage({ contextDir: ctx.rootfs, outputDir: join(dir, 'bb.oci'), refName: 'v1', cmd: ['sh'], env: ['PATH=/bin'] });
  const images = new ImageStore({ root: join(dir, 'runtime') });
  const image = 'portcullis.local/bench-bb:v1';
  await images.importLayout(join(dir, 'bb.oci'), image);
  const runtime = new RuncRuntime({ stateRoot: join(dir, 'runtime') });
  return {
    runtime, images, image,
    async close() {
      await removeEverything(runtime);
      runtime.close();
    },
  };
}

export async function benchPodStart(n = Number(process.env.BENCH_PODS ?? 50)): Promise<PodStartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-podstart-'));
  const cp = await startControlPlane({
    dataDir: join(dir, 'cp'), port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal',
    authn: { enableBootstrapTokenAuth: true }, controllers: ['certificatesigningrequest-approving-controller', 'certificatesigningrequest-signing-controller'], scheduler: false, leaderElect: false,
  });
  const admin = new RestClient({ server: cp.url, identity: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, userAgent: 'bench-pod-start' });
  step('control plane up');
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  let real: Awaited<ReturnType<typeof realRuntime>>;
  try {
    real = await realRuntime(join(dir, 'node'));
    step(`runtime ${real ? 'runc' : 'fake'}`);
    const token = await createJoinToken(admin, { now: Date.now });
    agent = await startAgent({
      nodeName: 'bench-node', dataDir: join(dir, 'node'), bootstrap: { server: cp.url, identity: { caPem: cp.pki.caCertPem, token }, userAgent: 'bench' },
      runtime: real?.runtime ?? new FakeRuntime(), images: real?.images ?? new FakeImageService(), runtimeScheme: real ? 'runc' : 'fake', runtimeVersion: real ? 'runc://' : 'fake://0',
      host: { hostname: 'bench', internalIP: '127.0.0.1', capacity: { cpu: '8', memory: '16Gi', pods: '500' }, allocatable: { cpu: '8', memory: '16Gi', pods: '500' }, nodeInfo: {} },
      log: quiet, csrPollMs: 50,
    });
    step('agent joined');
    const started = new Map<string, number>();
    const running = new Map<string, number>();
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const list = await admin.list(resources.pods, 'bench');
    const watch = admin.watch<K8sObject>(resources.pods, 'bench', { resourceVersion: list.metadata.resourceVersion }, (e) => {
      const name = e.object.metadata?.name ?? '';
      if (e.object.status?.phase === 'Running' && !running.has(name) && started.has(name)) {
        running.set(name, performance.now() - started.get(name)!);
        if (running.size === n) done();
      }
    }, () => {});
    await admin.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }).catch(() => undefined);
    // No service account controller runs here: the namespace's default account is made by hand.
    await admin.create(resources.serviceaccounts, 'bench', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).catch(() => undefined);
    const acks: number[] = [];
    await Promise.all(Array.from({ length: n }, async (_, i) => {
      const name = `p${i}`;
      const t0 = performance.now();
      started.set(name, t0);
      await admin.create(resources.pods, 'bench', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: { nodeName: 'bench-node', terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, containers: [{ name: 'c', image: real?.image ?? 'bench.test/app:1', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
      });
      acks.push(performance.now() - t0);
    }));
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${running.size} of ${n} pods Running after 120 s`)), 120_000).unref())]);
    watch.close();
    const podStartMs = summarize([...running.values()]);
    const createAckMs = summarize(acks);
    return { runtime: real ? 'runc' : 'fake', pods: n, podStartMs, createAckMs, podStartVsCreateP50: ratio(podStartMs.p50, createAckMs.p50), target: { p50Under300ms: podStartMs.p50 <= 300, p99Under1s: podStartMs.p99 <= 1000 } };
  } finally {
    await agent?.stop();
    await real?.close();
    admin.close();
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchPodStart().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`), (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}
