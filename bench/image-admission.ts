/**
 * Image verification at admission (issue 15's targets): a cached verdict's p99 (≤ 50 µs: one
 * ImageVerifier.check answered from the verdict cache, key building included), and pod create
 * throughput with a ClusterImagePolicy and a warm cache against the same server with no policy
 * (≥ 80%), each server in its own process, in the same run. Pods name the signed image by digest
 * (`pinned`) and by tag (`byTag`: each create resolves the tag at the registry, by design: a tag
 * may move); the target is on the digest form. The servers stay up and the cases take turns in
 * rounds of rotating order; the ratio is the median of the per-round ratios, so it survives a
 * machine whose load changes during the run. Run alone: `node bench/image-admission.ts`
 * (BENCH_IMAGE_ROUNDS, BENCH_IMAGE_WINDOW_MS).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../src/image-policy/oci/build.ts';
import { generateSigningKeyPair, loadPrivateKey } from '../src/image-policy/oci/cosign-keys.ts';
import { signImage } from '../src/image-policy/oci/cosign-sign.ts';
import { pushLayout } from '../src/image-policy/oci/push-layout.ts';
import { parseDockerRef } from '../src/image-policy/reference.ts';
import { RegistryClient } from '../src/image-policy/registry/client.ts';
import { RegistryPusher } from '../src/image-policy/registry/push.ts';
import { ImageVerifier } from '../src/image-policy/admission/image-verifier.ts';
import { compilePolicy } from '../src/image-policy/trust-policy/compile.ts';
import { VerdictCache } from '../src/image-policy/verdict-cache.ts';
import type { Store } from '../src/storage/types.ts';
import { findBinary } from '../test/helpers/real-parts.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { newAgent, runLoad, send, type LoadResult, type Target } from './load.ts';
import { spawnServer } from './server-process.ts';
import { medianSpread, ratio, round, summarize, type LatencySummary } from './stats.ts';

export interface ImageAdmissionOptions {
  connections: number;
  warmupMs: number;
  /** Rounds, each case loaded once per round in a rotating order (default BENCH_IMAGE_ROUNDS or 5). */
  rounds?: number;
  /** Measured window per case and round (default BENCH_IMAGE_WINDOW_MS or 2000). */
  windowMs?: number;
  progress: (msg: string) => void;
}

export type ImageAdmissionBench =
  | {
      cachedVerdictMicros: LatencySummary;
      podCreate: { noPolicy: LoadResult; pinned: LoadResult; byTag: LoadResult };
      /** Medians of the per-round ratios; `spread` gives their median, min and max. */
      ratios: {
        pinnedVsNoPolicy: number | null;
        byTagVsNoPolicy: number | null;
        perServerCore: { pinnedVsNoPolicy: number | null };
        spread: { pinnedVsNoPolicy: { median: number; min: number; max: number }; byTagVsNoPolicy: { median: number; min: number; max: number } };
      };
      rounds: ImageAdmissionRound[];
      targets: { cachedVerdictP99Under50us: boolean; pinnedCreate80pct: boolean };
    }
  | { skipped: string };

const NS = 'bench-images';

async function cachedVerdict(client: RegistryClient, image: string, digest: string, publicKeyPem: string, n = 20_000): Promise<LatencySummary> {
  const { policy } = compilePolicy({ metadata: { name: 'bench', uid: 'u', generation: 1 }, spec: { images: [{ glob: '**' }], authorities: [{ key: { data: publicKeyPem } }] } }, 'ClusterImagePolicy');
  const verifier = new ImageVerifier({ registry: client, store: undefined as unknown as Store, cache: new VerdictCache({ now: Date.now }), now: Date.now, deadlineMs: 10_000 });
  const ref = parseDockerRef(image);
  const signal = new AbortController().signal;
  const none = async () => undefined;
  const first = await verifier.check(policy!, image, ref, digest, none, signal);
  if (!first.allowed) throw new Error(`the bench image does not verify: ${first.code}: ${first.message}`);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = await verifier.check(policy!, image, ref, digest, none, signal);
    samples.push(Number(process.hrtime.bigint() - t) / 1e3);
    if (!r.cached) throw new Error('a verdict was not answered from the cache');
  }
  verifier.close();
  return summarize(samples);
}

interface BenchServer {
  name: string;
  target: Target;
  cpuMicros: () => Promise<number>;
  stop: () => Promise<void>;
}

/** A server with the bench namespace, and with the policy and a warm verdict cache when given one. */
async function startServer(tmp: string, name: string, image: string, policy: Record<string, unknown> | undefined): Promise<BenchServer> {
  const dataDir = join(tmp, `images-${name.replace(/\W+/g, '-')}`);
  const server = await spawnServer('portcullis', { dataDir, env: { BENCH_CONTROL_PLANE: JSON.stringify({ controllers: [], scheduler: false, leaderElect: false }) } });
  const target: Target = server.target;
  const agent = newAgent(target.tls);
  try {
    const post = async (path: string, body: unknown) => {
      const r = await send(target, agent, { method: 'POST', path, body: JSON.stringify(body) }, { keepBody: true });
      if (r.status !== 201 && r.status !== 409) throw new Error(`POST ${path}: ${r.status} ${r.body?.toString()}`);
    };
    await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // No controllers run: the ServiceAccount admission needs the namespace's default account.
    await post(`/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    if (policy) {
      for (let i = 0; ; i++) {
        const r = await send(target, agent, { method: 'POST', path: '/apis/policy.portcullis.dev/v1alpha1/clusterimagepolicies', body: JSON.stringify(policy) }, { keepBody: true });
        if (r.status === 201) break;
        // The CRD is served a moment after the start.
        if (i > 200) throw new Error(`the ClusterImagePolicy was not created: ${r.status} ${r.body?.toString()}`);
        await new Promise((res) => setTimeout(res, 25));
      }
      // Warm: the first pod fills the verdict cache.
      await post(`/api/v1/namespaces/${NS}/pods`, podBody('warm', image));
    }
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    agent.destroy();
  }
  return { name, target, cpuMicros: () => server.cpuMicros(), stop: () => server.stop() };
}

/** One round: each case's load window, in the round's order, and its ratios against the same round's no-policy window. */
export interface ImageAdmissionRound {
  order: string[];
  rps: number[];
  pinnedVsNoPolicy: number | null;
  byTagVsNoPolicy: number | null;
}

/**
 * Pod creates against each case in turn, `rounds` times, the order rotating from round to round
 * (A B C, B C A, C A B …) as the audit bench does: a load change on a shared machine falls on every
 * case alike rather than on whichever ran last, and no case always follows another. A ratio is taken
 * per round from that round's windows, seconds apart; each case's LoadResult is its median window.
 */
async function interleaved(cases: { server: BenchServer; image: string }[], o: ImageAdmissionOptions, rounds: number): Promise<{ medians: LoadResult[]; rounds: ImageAdmissionRound[] }> {
  const results: LoadResult[][] = cases.map(() => []);
  const out: ImageAdmissionRound[] = [];
  const windowMs = o.windowMs ?? Number(process.env.BENCH_IMAGE_WINDOW_MS ?? 2000);
  // One unmeasured window per case first (as the audit bench): otherwise round 1's first window
  // would be the only one on a cold server (JIT, caches) and a case's figure would depend on its turn.
  for (const [i, c] of cases.entries()) {
    o.progress(`image admission: priming ${c.server.name}`);
    await runLoad({ target: c.server.target, connections: o.connections, warmupMs: 0, durationMs: 2 * o.warmupMs, request: (seq) => ({ method: 'POST', path: `/api/v1/namespaces/${NS}/pods`, body: JSON.stringify(podBody(`w-${i}-${seq}`, c.image)), expectStatus: 201 }) });
  }
  for (let round = 0; round < rounds; round++) {
    const order = cases.map((_, i) => (i + round) % cases.length);
    const got: LoadResult[] = [];
    for (const i of order) {
      const c = cases[i]!;
      o.progress(`image admission: pod create, ${c.server.name}, round ${round + 1}/${rounds}, ${o.connections} connections`);
      got[i] = await runLoad({
        target: c.server.target, connections: o.connections, warmupMs: Math.min(o.warmupMs, 250), durationMs: windowMs,
        serverCpuMicros: c.server.cpuMicros,
        request: (seq) => ({ method: 'POST', path: `/api/v1/namespaces/${NS}/pods`, body: JSON.stringify(podBody(`p-${i}-${round}-${seq}`, c.image)), expectStatus: 201 }),
      });
      results[i]!.push(got[i]!);
    }
    const vs = (i: number) => (got[0]!.rps > 0 ? ratio(got[i]!.rps, got[0]!.rps) : null);
    out.push({ order: order.map((i) => cases[i]!.server.name), rps: got.map((r) => r.rps), pinnedVsNoPolicy: vs(1), byTagVsNoPolicy: vs(2) });
  }
  return { medians: results.map((rs) => [...rs].sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)]!), rounds: out };
}

function podBody(name: string, image: string) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image }] } };
}

export async function benchImageAdmission(o: ImageAdmissionOptions): Promise<ImageAdmissionBench> {
  if (!findBinary('docker-registry')) return { skipped: 'docker-registry (Debian package docker-registry) is not installed' };
  const reg = await startRegistry();
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-bench-image-admission-'));
  const client = new RegistryClient();
  try {
    mkdirSync(join(tmp, 'rootfs'));
    writeFileSync(join(tmp, 'rootfs', 'app'), 'benchmark image\n');
    await buildImage({ contextDir: join(tmp, 'rootfs'), outputDir: join(tmp, 'layout'), entrypoint: ['/app'] });
    const tag = `${reg.host}/bench/app:v1`;
    const ref = parseDockerRef(tag);
    await pushLayout(new RegistryPusher(client.transport), join(tmp, 'layout'), ref);
    const pair = generateSigningKeyPair('');
    await signImage(client, new RegistryPusher(client.transport), ref, loadPrivateKey(pair.privateKeyPem, ''));
    const digest = (await client.resolve(ref)).digest;
    const pinnedImage = `${reg.host}/bench/app@${digest}`;

    o.progress('image admission: cached verdict latency');
    const cached = await cachedVerdict(client, pinnedImage, digest, pair.publicKeyPem);
    const policy = { apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name: 'bench' }, spec: { images: [{ glob: `${reg.host}/**` }], authorities: [{ key: { data: pair.publicKeyPem } }] } };
    const servers: BenchServer[] = [];
    let results: { medians: LoadResult[]; rounds: ImageAdmissionRound[] };
    try {
      servers.push(await startServer(tmp, 'no policy', pinnedImage, undefined));
      servers.push(await startServer(tmp, 'policy', pinnedImage, policy));
      const [plain, withPolicy] = servers as [BenchServer, BenchServer];
      // The by-tag case runs on the policy's server: its pods name the tag, resolved at each create.
      results = await interleaved([{ server: plain, image: pinnedImage }, { server: withPolicy, image: pinnedImage }, { server: { ...withPolicy, name: 'policy, image by tag' }, image: tag }], o, Math.max(1, o.rounds ?? Number(process.env.BENCH_IMAGE_ROUNDS ?? 5)));
    } finally {
      for (const srv of servers) await srv.stop();
    }
    const [noPolicy, pinned, byTag] = results.medians as [LoadResult, LoadResult, LoadResult];
    const perCore = pinned.rpsPerServerCore && noPolicy.rpsPerServerCore ? ratio(pinned.rpsPerServerCore, noPolicy.rpsPerServerCore) : null;
    const spread = {
      pinnedVsNoPolicy: medianSpread(results.rounds.map((r) => r.pinnedVsNoPolicy ?? NaN)),
      byTagVsNoPolicy: medianSpread(results.rounds.map((r) => r.byTagVsNoPolicy ?? NaN)),
    };
    const orNull = (v: number) => (Number.isFinite(v) ? v : null);
    const ratios = { pinnedVsNoPolicy: orNull(spread.pinnedVsNoPolicy.median), byTagVsNoPolicy: orNull(spread.byTagVsNoPolicy.median), perServerCore: { pinnedVsNoPolicy: perCore }, spread };
    return {
      cachedVerdictMicros: { ...cached, p50: round(cached.p50), p99: round(cached.p99) },
      podCreate: { noPolicy, pinned, byTag },
      ratios,
      rounds: results.rounds,
      targets: { cachedVerdictP99Under50us: cached.p99 <= 50, pinnedCreate80pct: ratios.pinnedVsNoPolicy !== null && ratios.pinnedVsNoPolicy >= 0.8 },
    };
  } finally {
    client.close();
    await reg.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const num = (name: string, d: number) => (process.env[name] ? Number(process.env[name]) : d);
  const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
  const r = await benchImageAdmission({ connections: num('BENCH_CONNECTIONS', 50), warmupMs: num('BENCH_WARMUP_MS', 1000), progress });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
