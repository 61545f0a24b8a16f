/**
 * Notary (docker content trust) verification with cached metadata (issue 15's target: ≤ 1 ms):
 * a repository published into Debian's notary-server by the real notary client, verified once
 * (the uncached baseline: root, timestamp, snapshot and targets fetched and checked, in the same
 * run), then verified again and again from the verifier's metadata cache: target lookup, digest
 * comparison and expiry checks, no request. Run alone: `node --import tsx bench/notary-verify.ts`.
 */
import { NotaryVerifier } from '../src/image-policy/verifiers/notary/verifier.ts';
import { NotaryCli, digestOf, startNotaryServer } from '../test/helpers/notary.ts';
import { findBinary } from '../test/helpers/real-parts.ts';
import { ratio, summarize, type LatencySummary } from './stats.ts';

export type NotaryVerifyBench =
  | { cachedVerifyMs: LatencySummary; uncachedVerifyMs: LatencySummary; cachedToUncached: number; target: { p99Under1ms: boolean } }
  | { skipped: string };

export async function benchNotaryVerify(iterations = 5000, uncachedIterations = 30): Promise<NotaryVerifyBench> {
  if (!findBinary('notary-server') || !findBinary('notary')) return { skipped: 'notary-server / notary (Debian package notary) are not installed' };
  const server = await startNotaryServer();
  const cli = new NotaryCli(server);
  const hosts = { [new URL(server.url).host]: { caPem: server.tls.caPem } };
  try {
    const gun = 'bench.example/app';
    await cli.run('init', gun);
    for (let i = 0; i < 20; i++) await cli.add(gun, `v${i}`, `manifest ${i}`);
    await cli.run('publish', gun);
    const pin = { keyIds: [await cli.rootKeyId()] };
    const req = { server: server.url, gun, tag: 'v7', digest: digestOf('manifest 7'), pin };

    const uncached: number[] = [];
    for (let i = 0; i < uncachedIterations; i++) {
      const v = new NotaryVerifier({ now: Date.now, hosts });
      const t = process.hrtime.bigint();
      await v.verify(req);
      uncached.push(Number(process.hrtime.bigint() - t) / 1e6);
      v.close();
    }

    const v = new NotaryVerifier({ now: Date.now, hosts, refreshIntervalMs: 3_600_000 });
    await v.verify(req);
    const cached: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = process.hrtime.bigint();
      const r = await v.verify(req);
      cached.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (!r.cached) throw new Error('a cached verification made requests');
    }
    v.close();
    const c = summarize(cached);
    const u = summarize(uncached);
    return { cachedVerifyMs: c, uncachedVerifyMs: u, cachedToUncached: ratio(c.p50, u.p50), target: { p99Under1ms: c.p99 <= 1 } };
  } finally {
    cli.cleanup();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = process.env['BENCH_NOTARY_ITERATIONS'] ? Number(process.env['BENCH_NOTARY_ITERATIONS']) : undefined;
  process.stdout.write(`${JSON.stringify(await benchNotaryVerify(n), null, 2)}\n`);
}
