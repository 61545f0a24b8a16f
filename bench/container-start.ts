/**
 * Container start latency on the runc runtime (image present, sandbox ready): createContainer +
 * startContainer until the process runs, for containers started one at a time and N at once in
 * one pod, next to the in-run baseline of bare `runc run --detach` on a prepared bundle (what the
 * runtime's own work adds: overlay mount, spec, FIFOs, shim). Needs root, runc and busybox-static;
 * says so instead of measuring otherwise. BENCH_CONTAINERS (20) sets N.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs } from '../src/cluster/agent/runtime/busybox-rootfs.ts';
import { RuncRuntime } from '../src/cluster/agent/runtime/runc.ts';
import type { ContainerConfig } from '../src/cluster/agent/runtime/types.ts';
import { ratio, summarize, type LatencySummary } from './stats.ts';

export interface ContainerStartResult {
  containers: number;
  sequentialMs: LatencySummary;
  concurrentMs: LatencySummary;
  bareRuncRunMs: LatencySummary;
  sequentialVsBareRuncP50: number;
}

// stdio ignored: a detached container keeps runc's stdio, so waiting for pipes to close would wait for it.
function runc(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('runc', args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc ${args.join(' ')}: exit code ${code}`))));
  });
}

export async function benchContainerStart(n = Number(process.env.BENCH_CONTAINERS ?? 20)): Promise<ContainerStartResult | { error: string }> {
  if (process.getuid?.() !== 0) return { error: 'skipped: needs root' };
  if (!existsSync('/bin/busybox')) return { error: 'skipped: /bin/busybox (busybox-static) is missing' };
  const work = await mkdtemp(join(tmpdir(), 'portcullis-bench-containers-'));
  const rt = new RuncRuntime({ stateRoot: join(work, 'state') });
  try {
    const image = await busyboxRootfs(join(work, 'image'));
    const pod = { uid: 'b0b0b0b0-0000-4000-8000-000000000003', namespace: 'bench', name: 'starts' };
    const sandbox = await rt.createSandbox({ pod, spec: { containers: [] } });
    const cfg = (i: number): ContainerConfig => {
      const container = { name: `c${i}`, command: ['sleep', '300'] };
      return { pod, podSpec: { containers: [container] }, container, attempt: 0, image, env: [], mounts: [] };
    };
    const startOne = async (i: number): Promise<number> => {
      const t0 = performance.now();
      const c = await rt.createContainer(sandbox.id, cfg(i));
      await rt.startContainer(c.id);
      return performance.now() - t0;
    };
    const sequential: number[] = [];
    for (let i = 0; i < n; i++) sequential.push(await startOne(i));
    const concurrent = await Promise.all(Array.from({ length: n }, (_, i) => startOne(n + i)));

    // Baseline: runc alone, on a bundle prepared in advance (bind of the same rootfs, no shim).
    const bundle = join(work, 'bare');
    await mkdir(join(bundle, 'rootfs'), { recursive: true });
    const spec = { ociVersion: '1.0.2-dev', process: { args: ['/bin/sleep', '300'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin'] }, root: { path: image.rootfs, readonly: true }, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }], linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }], cgroupsPath: 'portcullis-bench/bare' } };
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const root = join(work, 'bare-root');
    const bare: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = `bare${i}`;
      const t0 = performance.now();
      await runc(['--root', root, 'run', '--detach', '--bundle', bundle, id]);
      bare.push(performance.now() - t0);
      await runc(['--root', root, 'delete', '--force', id]);
    }
    const sequentialMs = summarize(sequential);
    const bareRuncRunMs = summarize(bare);
    return { containers: n, sequentialMs, concurrentMs: summarize(concurrent), bareRuncRunMs, sequentialVsBareRuncP50: ratio(sequentialMs.p50, bareRuncRunMs.p50) };
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    const { containers, sandboxes } = await rt.list();
    for (const c of containers) await rt.removeContainer(c.id).catch(() => undefined);
    for (const s of sandboxes) await rt.removeSandbox(s.id).catch(() => undefined);
    rt.close();
    await rm(work, { recursive: true, force: true });
  }
}
