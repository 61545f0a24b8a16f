/**
 * Starts the runtime's short commands and shims from a small bash process instead of from the
 * agent. Node forks the whole agent for every spawn (libuv uses fork on Linux) and the fork
 * copies its page tables while the event loop waits: ~0.3 ms per MiB of resident memory, 30+ ms
 * for an agent of 100+ MiB, and a burst of pods spawns several processes each. The launcher's
 * fork is of a shell of a few MiB.
 *
 * Protocol: one line per command on the launcher's stdin, `<id> <command>` where the command is
 * made only of shell-quoted words (shellQuote), and one line back on its stdout per command,
 * `<id> <exit code> <output>` (stdout and stderr together, newlines and carriage returns as
 * spaces, at most 2000 characters: the agent's line reader also ends a line at a carriage return,
 * and output that names a path from a pod spec must not forge another call's answer). A detached
 * command (a shim) is started with `setsid -f`, its stdio on /dev/null: it outlives the launcher
 * and the agent. Calls waiting when the launcher dies fail; the next call starts a new one.
 * Bounded: one pending entry per call in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { shellQuote } from './shim.ts';

const LOOP = `
while IFS= read -r line; do
  id=\${line%% *}; cmd=\${line#* }
  ( out=$(eval "exec $cmd" 2>&1 </dev/null); code=$?; out=\${out//[$'\\n\\r']/ }; printf '%s %s %s\\n' "$id" "$code" "\${out:0:2000}" ) &
done
`;

export interface LaunchResult {
  code: number;
  output: string;
}

export class Launcher {
  #child?: ChildProcess;
  #pending = new Map<number, { resolve(r: LaunchResult): void; reject(e: Error): void }>();
  #next = 0;
  readonly #bash: string;

  constructor(bash = '/bin/bash') {
    this.#bash = bash;
  }

  #ensure(): ChildProcess {
    if (this.#child && this.#child.exitCode === null && !this.#child.killed) return this.#child;
    const child = spawn(this.#bash, ['-c', LOOP, 'portcullis-launcher'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^(\d+) (\d+) ?(.*)$/.exec(line);
      if (!m) return;
      const p = this.#pending.get(Number(m[1]));
      this.#pending.delete(Number(m[1]));
      p?.resolve({ code: Number(m[2]), output: m[3]!.trim() });
    });
    const fail = (why: string) => {
      if (this.#child === child) this.#child = undefined;
      for (const p of this.#pending.values()) p.reject(new Error(`the runtime's launcher ${why}`));
      this.#pending.clear();
    };
    child.on('error', (err) => fail(`could not run: ${err.message}`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
    child.stdin!.on('error', () => {});
    this.#hold(child, false);
    return child;
  }

  /** The launcher keeps the agent's process alive only while a call waits on it; its stdin closing (the agent gone) ends it. */
  #hold(child: ChildProcess, on: boolean): void {
    for (const h of [child, child.stdout, child.stdin] as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  /** Starts the launcher now, so that the first command does not wait for bash to start. */
  start(): void {
    this.#ensure();
  }

  /**
   * Runs argv (argv[0] a path or a command on PATH) to completion. With timeoutMs the call fails
   * after that long whether or not the command ends: a process stuck in the kernel (an unmount, a
   * mount, rtnl) cannot be killed, and its caller must not wait for it forever. A late answer is
   * dropped. Kill what can be killed in the command itself (coreutils' timeout).
   */
  async run(argv: readonly string[], timeoutMs?: number): Promise<LaunchResult> {
    return this.#send(quoted(argv), timeoutMs === undefined ? undefined : { ms: timeoutMs, what: argv[0] ?? '' });
  }

  /**
   * Starts argv in a session of its own, its stdio on /dev/null, and does not wait for it. setsid
   * returns once it forked: a program that cannot run shows only by what it never writes (the
   * shim's pid and exit files), as with a spawn.
   */
  async detach(argv: readonly string[]): Promise<void> {
    const r = await this.#send(`setsid -f ${quoted(argv)} </dev/null >/dev/null 2>&1`);
    if (r.code !== 0) throw new Error(`could not start ${argv[0]}: ${r.output || `exit code ${r.code}`}`);
  }

  #send(command: string, deadline?: { ms: number; what: string }): Promise<LaunchResult> {
    const child = this.#ensure();
    const id = this.#next++;
    if (this.#pending.size === 0) this.#hold(child, true);
    let timer: NodeJS.Timeout | undefined;
    const settled = () => {
      clearTimeout(timer);
      if (this.#pending.size === 0 && this.#child === child) this.#hold(child, false);
    };
    return new Promise<LaunchResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (deadline) {
        timer = setTimeout(() => {
          this.#pending.delete(id);
          reject(new Error(`${deadline.what} did not finish within ${deadline.ms / 1000} s`));
        }, deadline.ms);
      }
      // A newline only ever sits inside a quoted word: it leaves the quotes as $'\n'.
      child.stdin!.write(`${id} ${command.replaceAll('\n', () => "'$'\\n''")}\n`);
    }).finally(settled);
  }

  close(): void {
    this.#child?.stdin?.end();
    this.#child = undefined;
  }
}

/**
 * The words shell-quoted. A NUL byte is refused as spawn refuses it: bash's read drops it, so
 * '/a\0b' would run as '/ab', another path than the one asked for.
 */
function quoted(argv: readonly string[]): string {
  const i = argv.findIndex((a) => a.includes('\0'));
  if (i >= 0) throw new TypeError(`The argument 'argv[${i}]' must be a string without null bytes`);
  return argv.map(shellQuote).join(' ');
}

let host: Launcher | undefined;

/**
 * The launcher for the agent's host commands that belong to no runtime: the volume manager's
 * mounts and unmounts, the pod network's ip, sysctl, nsenter and nft. One per process, started on
 * first use; idle, it holds nothing open (see #hold), and closed it starts again when next used.
 */
export function hostLauncher(): Launcher {
  return (host ??= new Launcher());
}
