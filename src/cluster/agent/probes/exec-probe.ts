/**
 * An exec probe (pkg/probe/exec through the runtime's ExecSync): the command runs in the
 * container; exit 0 is success, another exit a failure with the combined stdout and stderr (at
 * most 10 KiB) as the output, and running past timeoutSeconds a failure `command "…" timed out`
 * (the ExecProbeTimeout behaviour, on by default since 1.20), the process killed. The command's
 * $(VAR) references are expanded from the container's literal env values only
 * (ExpandContainerCommandOnlyStatic): no valueFrom, as upstream.
 */
import { Writable } from 'node:stream';
import type { Container } from 'kubernetes-types/core/v1.js';
import { expand } from '../runtime/expand.ts';
import type { ContainerRuntime } from '../runtime/types.ts';
import { failure, MAX_PROBE_OUTPUT, success, type ProbeOutcome } from './outcome.ts';

export interface ExecRun {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

/** Runs argv in the container with a deadline, collecting the combined output (RunInContainer). */
export async function execInContainer(runtime: ContainerRuntime, containerId: string, argv: readonly string[], timeoutMs: number): Promise<ExecRun> {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (size < MAX_PROBE_OUTPUT) chunks.push(chunk.subarray(0, MAX_PROBE_OUTPUT - size));
      size += chunk.length;
      cb();
    },
  });
  const abort = new AbortController();
  const t = timeoutMs > 0 ? setTimeout(() => abort.abort(), timeoutMs) : undefined;
  try {
    const { exitCode } = await runtime.exec(containerId, { argv, tty: false, stdout: sink, stderr: sink, signal: abort.signal });
    return { exitCode, output: Buffer.concat(chunks).toString('utf8'), timedOut: abort.signal.aborted };
  } finally {
    clearTimeout(t);
  }
}

export function staticCommand(command: readonly string[], container: Container): string[] {
  const env = new Map<string, string>();
  for (const e of container.env ?? []) if (e.valueFrom === undefined) env.set(e.name, e.value ?? '');
  return command.map((arg) => expand(arg, (n) => env.get(n)));
}

export async function execProbe(runtime: ContainerRuntime, containerId: string, command: readonly string[], container: Container, timeoutMs: number): Promise<ProbeOutcome> {
  const argv = staticCommand(command, container);
  const run = await execInContainer(runtime, containerId, argv, timeoutMs);
  if (run.timedOut) return failure(`command ${JSON.stringify(argv.join(' '))} timed out`);
  return run.exitCode === 0 ? success(run.output) : failure(run.output);
}
