/**
 * CPU time per pod in the runc runtime, every process counted: this process, the launcher, the
 * shims, runc and the containers' inits all sit under one cgroup v1 cpuacct group, whose usage is
 * read around each step (a latency figure would mostly measure how busy the machine is). Rounds
 * alternate a sandbox held by a pause container (shareProcessNamespace) with one held by
 * bind-mounted namespace files (every other pod), BENCH_SANDBOX_PODS (10) pods a round,
 * BENCH_SANDBOX_ROUNDS (4) rounds, BENCH_SANDBOX_CONTAINER=1 to create and start a container in
 * each. `steps` splits a pod's start into the sandbox, the container's create and its start, each
 * as all processes and as this process alone (the agent's share). BENCH_SANDBOX_HELD=N keeps N
 * more pods running throughout: each adds lines to the mount table that every `runc run` reads
 * and copies, so it shows what a pod costs on a node that already runs N. Root, runc,
 * busybox-static and cgroup v1 (on v2 the containers' cgroups are not under ours); not part of
 * `npm run bench`: `node bench/pod-sandbox-cpu.ts`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuncRuntime } from '../src/cluster/agent/runtime/runc.ts';
import { busyboxRootfs } from '../src/cluster/agent/runtime/busybox-rootfs.ts';
import { hostLauncher } from '../src/cluster/agent/runtime/launcher.ts';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

/** CPU ms per pod of one step: every process, and this process alone. */
export interface StepCpu {
  all: number;
  own: number;
}

export interface SandboxCpuResult {
  pods: number;
  withContainer: boolean;
  /** Pods kept running during the rounds (BENCH_SANDBOX_HELD). */
  held: number;
  /** Per round, CPU ms per pod: [create (and start), create + remove]. */
  pause: Array<[number, number]>;
  files: Array<[number, number]>;
  /** Per kind of sandbox, the medians over the rounds of each step's CPU ms per pod. */
  steps: Record<'pause' | 'files', Record<string, StepCpu>>;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchSandboxCpu(pods = Number(process.env.BENCH_SANDBOX_PODS ?? 10), rounds = Number(process.env.BENCH_SANDBOX_ROUNDS ?? 4), withContainer = process.env.BENCH_SANDBOX_CONTAINER === '1', held = Number(process.env.BENCH_SANDBOX_HELD ?? 0)): Promise<SandboxCpuResult> {
  if (!existsSync(join(CPUACCT, 'cpuacct.usage'))) throw new Error('needs cgroup v1 cpuacct (and root)');
  const group = join(CPUACCT, `portcullis-bench-${process.pid}`);
  mkdirSync(group);
  writeFileSync(join(group, 'cgroup.procs'), String(process.pid));
  const usageMs = () => Number(readFileSync(join(group, 'cpuacct.usage'), 'utf8')) / 1e6;
  const ownMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const root = mkdtempSync(join(tmpdir(), 'portcullis-bench-sandbox-'));
  const rt = new RuncRuntime({ stateRoot: join(root, 'state') });
  const out: SandboxCpuResult = { pods, withContainer, held, pause: [], files: [], steps: { pause: {}, files: {} } };
  const samples: Record<'pause' | 'files', Record<string, { all: number[]; own: number[] }>> = { pause: {}, files: {} };
  try {
    const image = await busyboxRootfs(join(root, 'image'));
    let n = 0;
    const startPod = async (pause: boolean, container: boolean, step: (name: string, fn: () => Promise<unknown>) => Promise<unknown>): Promise<string> => {
      const spec = { containers: [], shareProcessNamespace: pause };
      const pod = { uid: `bench-${n}`, namespace: 'bench', name: `p${n++}` };
      const sb = (await step('sandbox', () => rt.createSandbox({ pod, spec }))) as { id: string };
      if (container) {
        const c = { name: 'c', command: ['sleep', '300'] };
        const created = (await step('create', () => rt.createContainer(sb.id, { pod, podSpec: { ...spec, containers: [c] }, container: c, attempt: 0, image, env: [], mounts: [] }))) as { id: string };
        await step('start', () => rt.startContainer(created.id));
      }
      return sb.id;
    };
    const untimed = (_: string, fn: () => Promise<unknown>) => fn();
    const kept: string[] = [];
    for (let i = 0; i < held; i++) kept.push(await startPod(false, true, untimed));
    const round = async (pause: boolean): Promise<[number, number]> => {
      const kind = pause ? 'pause' : 'files';
      const acc: Record<string, { all: number; own: number }> = {};
      const step = async (name: string, fn: () => Promise<unknown>) => {
        const a = usageMs();
        const o = ownMs();
        const r = await fn();
        const e = (acc[name] ??= { all: 0, own: 0 });
        e.all += usageMs() - a;
        e.own += ownMs() - o;
        return r;
      };
      const t0 = usageMs();
      const ids: string[] = [];
      for (let i = 0; i < pods; i++) ids.push(await startPod(pause, withContainer, step));
      const t1 = usageMs();
      for (const id of ids) await rt.removeSandbox(id);
      const t2 = usageMs();
      for (const [name, e] of Object.entries(acc)) {
        const s = (samples[kind][name] ??= { all: [], own: [] });
        s.all.push(e.all / pods);
        s.own.push(e.own / pods);
      }
      return [round1((t1 - t0) / pods), round1((t2 - t0) / pods)];
    };
    for (let r = 0; r < rounds; r++) {
      for (const pause of r % 2 === 0 ? [true, false] : [false, true]) (pause ? out.pause : out.files).push(await round(pause));
    }
    for (const kind of ['pause', 'files'] as const) {
      for (const [name, s] of Object.entries(samples[kind])) out.steps[kind][name] = { all: round1(median(s.all)), own: round1(median(s.own)) };
    }
    for (const id of kept) await rt.removeSandbox(id);
    return out;
  } finally {
    rt.close();
    // The process-wide launcher of host commands (the rootfs mounts) runs in the bench group too:
    // closed here it exits while this process can reap it (left, it stayed in the group until this
    // process exited, then a zombie no one reaped at once: the group was never removed).
    hostLauncher().close();
    rmSync(root, { recursive: true, force: true });
    // Back to the parent group, then the (now empty) bench group goes.
    writeFileSync(join(CPUACCT, 'cgroup.procs'), String(process.pid));
    // runc put the containers' cgroups under ours (cgroupParent "portcullis", relative on v1); the
    // launchers leave the group a moment after close().
    for (let attempt = 0; attempt < 50 && existsSync(group); attempt++) {
      try {
        // Its QoS tiers (pod-cgroups.ts) first: the pods' own went with their sandboxes.
        for (const sub of ['portcullis/besteffort', 'portcullis/burstable', 'portcullis']) if (existsSync(join(group, sub))) rmdirSync(join(group, sub));
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
