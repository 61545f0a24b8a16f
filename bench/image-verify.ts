/**
 * Uncached key-based image verification against a local docker-registry (issue 15's target: p50 ≤
 * 10 ms): each iteration resolves the tag, fetches the `sha256-<hex>.sig` manifest and the signed
 * payload, and checks the ECDSA signature, with no verdict or manifest cache (only the client's
 * kept-alive connections). The registry runs as its own process on 127.0.0.1, so its side of each
 * request is not on this event loop. Run alone: `node --import tsx bench/image-verify.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { buildImage } from '../src/image-policy/oci/build.ts';
import { generateSigningKeyPair, loadPrivateKey } from '../src/image-policy/oci/cosign-keys.ts';
import { signImage } from '../src/image-policy/oci/cosign-sign.ts';
import { pushLayout } from '../src/image-policy/oci/push-layout.ts';
import { parseDockerRef } from '../src/image-policy/reference.ts';
import { RegistryClient } from '../src/image-policy/registry/client.ts';
import { RegistryPusher } from '../src/image-policy/registry/push.ts';
import { verifyCosignKey } from '../src/image-policy/verifiers/cosign-key.ts';
import { findBinary } from '../test/helpers/real-parts.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { summarize, type LatencySummary } from './stats.ts';

export type ImageVerifyBench = { uncachedKeyVerifyMs: LatencySummary; target: { p50Under10ms: boolean } } | { skipped: string };

export async function benchImageVerify(iterations = 300, warmup = 30): Promise<ImageVerifyBench> {
  if (!findBinary('docker-registry')) return { skipped: 'docker-registry (Debian package docker-registry) is not installed' };
  const reg = await startRegistry();
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-image-'));
  const client = new RegistryClient();
  try {
    mkdirSync(join(work, 'rootfs'));
    writeFileSync(join(work, 'rootfs', 'app'), 'benchmark image\n');
    await buildImage({ contextDir: join(work, 'rootfs'), outputDir: join(work, 'layout'), entrypoint: ['/app'] });
    const ref = parseDockerRef(`${reg.host}/bench/app:v1`);
    await pushLayout(new RegistryPusher(client.transport), join(work, 'layout'), ref);
    const pair = generateSigningKeyPair('');
    await signImage(client, new RegistryPusher(client.transport), ref, loadPrivateKey(pair.privateKeyPem, ''));
    const keys = [createPublicKey(pair.publicKeyPem)];
    for (let i = 0; i < warmup; i++) await verifyCosignKey(client, ref, keys);
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = process.hrtime.bigint();
      await verifyCosignKey(client, ref, keys);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const s = summarize(samples);
    return { uncachedKeyVerifyMs: s, target: { p50Under10ms: s.p50 <= 10 } };
  } finally {
    client.close();
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = process.env['BENCH_IMAGE_ITERATIONS'] ? Number(process.env['BENCH_IMAGE_ITERATIONS']) : undefined;
  process.stdout.write(`${JSON.stringify(await benchImageVerify(n), null, 2)}\n`);
}
