/**
 * The per-container shim: a detached /bin/sh (its own session) that runs `runc run --keep` in the
 * foreground and, when the container's process ends, records what happened in files the runtime
 * reads later: the exit status (`exit`, written last and renamed into place) and the memory
 * cgroup's OOM counters (`oom`, read before anything can remove the cgroup). runc stays the
 * container's parent and subreaper, so the exit status is never lost, and neither the shim nor the
 * container depends on the agent: both survive an agent restart.
 *
 * The container's stdout/stderr are FIFOs opened read-write by the shim for runc (so a container
 * never gets EPIPE while no agent reads; it blocks once the pipe buffer is full); the agent's log
 * relay opens the read ends, before the shim starts and again after a restart. Its stdin FIFO is
 * opened read-write too (no end of file ever), but for a stdinOnce container (stdin-once.ts):
 * read-only, with a holder process as the writer the agent ends after the first attach.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Launcher } from './launcher.ts';
import type { RuncCli } from './runc-cli.ts';
import { waitForFiles } from './wait-file.ts';

const SCRIPT = `
dir=$1; memcg=$2; in=$3; out=$4; err=$5; shm=$6
shift 6
echo $$ > "$dir/shim.pid"
if [ -n "$shm" ] && ! { mkdir -p "$shm" && mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm "$shm"; } 2>"$dir/setup.err"; then
  echo 1 > "$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
  exit 1
fi
holder=
if [ -e "$dir/stdin-once" ]; then
  sleep 2147483647 3<>"$in" </dev/null >/dev/null 2>&1 &
  holder=$!
  echo "$holder" > "$dir/stdin.holder"
  "$@" 0<"$in" 1<>"$out" 2<>"$err"
else
  "$@" 0<>"$in" 1<>"$out" 2<>"$err"
fi
code=$?
[ -n "$holder" ] && kill "$holder" 2>/dev/null
for f in memory.oom_control memory.events; do
  if [ -n "$memcg" ] && [ -r "$memcg/$f" ]; then cat "$memcg/$f" > "$dir/oom.tmp" && mv "$dir/oom.tmp" "$dir/oom"; break; fi
done
echo "$code" > "$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
`;

/** A word for sh -c: single-quoted. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface ShimSpec {
  /** The container's state directory: bundle/, pid, exit, oom, runc.log live here. */
  dir: string;
  id: string;
  /** The memory cgroup directory the container will get (for the OOM counters), or ''. */
  memcg: string;
  /** /dev/null, or a FIFO no one writes to (a terminal's input must not reach end of file). */
  stdin: string;
  stdout: string;
  stderr: string;
  /**
   * The process has a terminal (the container's tty: true): runc in the foreground relays it to a
   * terminal of its own, which script(1) provides; all output is then stdout, as upstream's. Its
   * stdin is a FIFO held open, so script never sends the terminal an end of file.
   */
  terminal?: boolean;
  /**
   * A sandbox's /dev/shm: the shim mounts the pod's tmpfs there before runc runs (a spawn less
   * for the agent); a failed mount ends the shim with an exit file and no pid, its error in setup.err.
   */
  shm?: string;
}

/** Starts the shim, detached, through the launcher; it writes its own pid to shim.pid. */
export function spawnShim(cli: RuncCli, s: ShimSpec, launcher: Launcher): Promise<void> {
  const run = [cli.binary, '--root', cli.root, '--log', `${s.dir}/runc.log`, '--log-format', 'json', 'run', '--keep', '--pid-file', `${s.dir}/pid`, '--bundle', `${s.dir}/bundle`, s.id];
  const command = s.terminal ? ['script', '--quiet', '--return', '--command', run.map(shellQuote).join(' '), '/dev/null'] : run;
  return launcher.detach(['/bin/sh', '-c', `cd ${shellQuote(s.dir)} || exit 1\n${SCRIPT}`, 'portcullis-shim', s.dir, s.memcg, s.stdin, s.stdout, s.stderr, s.shm ?? '', ...command]);
}

/**
 * Whether a state file is there. Synchronous underneath (state-files.ts says why: ~2 µs of CPU
 * against ~23 µs for a promise access(), and it is asked for every container at each relist).
 */
export async function exists(path: string): Promise<boolean> {
  return existsSync(path);
}

/**
 * Waits until the container runs (its pid file) or the shim gave up (its exit file). 'exited'
 * with no pid means runc could not start the process.
 */
export async function waitStarted(dir: string, timeoutMs: number): Promise<'running' | 'exited' | 'timeout'> {
  const state = await waitForFiles(dir, async () => {
    if (await exists(join(dir, 'pid'))) return 'running';
    if (await exists(join(dir, 'exit'))) return (await exists(join(dir, 'pid'))) ? 'running' : 'exited';
    return undefined;
  }, timeoutMs);
  return state ?? 'timeout';
}

/** Waits for the shim's exit file; true when it appeared in time. */
export async function waitExited(dir: string, timeoutMs: number): Promise<boolean> {
  return (await waitForFiles(dir, async () => ((await exists(join(dir, 'exit'))) ? true : undefined), timeoutMs)) === true;
}

/** The oom_kill counter the shim saved (cgroup v1 memory.oom_control or v2 memory.events). */
export function oomKills(text: string | undefined): number {
  const m = text ? /^oom_kill (\d+)$/m.exec(text) : null;
  return m ? Number(m[1]) : 0;
}
