/**
 * CPU time per pod in the runc runtime, every process counted: this process, the launcher, the
 * shims, runc and the containers' inits all sit under one cgroup v1 cpuacct group, whose usage is
 * read around each round (a latency figure would mostly measure how busy the machine is). Rounds
 * alternate a sandbox held by a pause container (shareProcessNamespace) with one held by
 * bind-mounted namespace files (every other pod), BENCH_SANDBOX_PODS (10) pods a round,
 * BENCH_SANDBOX_ROUNDS (4) rounds, BENCH_SANDBOX_CONTAINER=1 to create and start a container in
 * each. Root, runc, busybox-static and cgroup v1 (on v2 the containers' cgroups are not under
 * ours); not part of `npm run bench`: `node bench/pod-sandbox-cpu.ts`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuncRuntime } from '../src/cluster/agent/runtime/runc.ts';
import { busyboxRootfs } from '../src/cluster/agent/runtime/busybox-rootfs.ts';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

export interface SandboxCpuResult {
  pods: number;
  withContainer: boolean;
  /** Per round, CPU ms per pod: [create (and start), create + remove]. */
  pause: Array<[number, number]>;
  files: Array<[number, number]>;
}

export async function benchSandboxCpu(pods = Number(process.env.BENCH_SANDBOX_PODS ?? 10), rounds = Number(process.env.BENCH_SANDBOX_ROUNDS ?? 4), withContainer = process.env.BENCH_SANDBOX_CONTAINER === '1'): Promise<SandboxCpuResult> {
  if (!existsSync(join(CPUACCT, 'cpuacct.usage'))) throw new Error('needs cgroup v1 cpuacct (and root)');
  const group = join(CPUACCT, `portcullis-bench-${process.pid}`);
  mkdirSync(group);
  writeFileSync(join(group, 'cgroup.procs'), String(process.pid));
  const usageMs = () => Number(readFileSync(join(group, 'cpuacct.usage'), 'utf8')) / 1e6;
  const root = mkdtempSync(join(tmpdir(), 'portcullis-bench-sandbox-'));
  const rt = new RuncRuntime({ stateRoot: join(root, 'state') });
  const out: SandboxCpuResult = { pods, withContainer, pause: [], files: [] };
  try {
    const image = await busyboxRootfs(join(root, 'image'));
    let n = 0;
    const round = async (pause: boolean): Promise<[number, number]> => {
      const spec = { containers: [], shareProcessNamespace: pause };
      const t0 = usageMs();
      const ids: string[] = [];
      for (let i = 0; i < pods; i++) {
        const pod = { uid: `bench-${n}`, namespace: 'bench', name: `p${n++}` };
        const sb = await rt.createSandbox({ pod, spec });
        ids.push(sb.id);
        if (!withContainer) continue;
        const container = { name: 'c', command: ['sleep', '300'] };
        const c = await rt.createContainer(sb.id, { pod, podSpec: { ...spec, containers: [container] }, container, attempt: 0, image, env: [], mounts: [] });
        await rt.startContainer(c.id);
      }
      const t1 = usageMs();
      for (const id of ids) await rt.removeSandbox(id);
      const t2 = usageMs();
      const per = (ms: number) => Math.round((ms / pods) * 10) / 10;
      return [per(t1 - t0), per(t2 - t0)];
    };
    for (let r = 0; r < rounds; r++) {
      for (const pause of r % 2 === 0 ? [true, false] : [false, true]) (pause ? out.pause : out.files).push(await round(pause));
    }
    return out;
  } finally {
    rt.close();
    rmSync(root, { recursive: true, force: true });
    // Back to the parent group, then the (now empty) bench group goes.
    writeFileSync(join(CPUACCT, 'cgroup.procs'), String(process.pid));
    // runc put the containers' cgroups under ours (cgroupParent "portcullis", relative on v1); the
    // launcher leaves the group a moment after close().
    for (let attempt = 0; attempt < 50 && existsSync(group); attempt++) {
      try {
        if (existsSync(join(group, 'portcullis'))) rmdirSync(join(group, 'portcullis'));
        rmdirSync(group);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchSandboxCpu().then((r) => process.stdout.write(`${JSON.stringify(r)}\n`), (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}
