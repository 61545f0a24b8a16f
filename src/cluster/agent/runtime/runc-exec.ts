/**
 * `kubectl exec` in a running container: `runc exec` with the container's own process settings
 * (user, capabilities, env, no_new_privs, seccomp) and the given argv. Without a terminal the
 * streams are pipes. With one, `runc exec --tty` allocates the container's pseudo-terminal and
 * relays it to a terminal of its own, which util-linux script(1) provides (runc's other way, a
 * console socket passing the master by SCM_RIGHTS, needs a receiver node cannot be); stderr is
 * merged into stdout as on any terminal, and the client's terminal sizes are set on script's
 * terminal, which runc copies to the container's (terminal-size.ts). Aborting kills the exec'd
 * process by its pid file.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RuncCli } from './runc-cli.ts';
import { shellQuote } from './shim.ts';
import { followTerminalSize } from './terminal-size.ts';
import type { ExecOptions, ExecResult } from './types.ts';


export async function runcExec(cli: RuncCli, id: string, dir: string, opts: ExecOptions): Promise<ExecResult> {
  if (opts.argv.length === 0) throw new Error('exec needs a command');
  const pidFile = join(dir, `exec-${randomBytes(6).toString('hex')}.pid`);
  const runcArgs = ['--root', cli.root, 'exec', ...(opts.tty ? ['--tty'] : []), '--pid-file', pidFile, id, ...opts.argv];
  // runc --tty in the foreground wants a terminal of its own to relay: script(1) gives it one.
  const child = opts.tty
    ? spawn('script', ['--quiet', '--return', '--command', [cli.binary, ...runcArgs].map(shellQuote).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(cli.binary, runcArgs, { stdio: ['pipe', 'pipe', 'pipe'] });

  const ended = new AbortController();
  if (opts.tty && opts.resize && child.pid) followTerminalSize(child.pid, opts.resize, ended.signal);
  else opts.resize?.resume();
  if (opts.stdin) opts.stdin.pipe(child.stdin);
  else child.stdin.end();
  child.stdin.on('error', () => undefined);
  if (opts.stdout) child.stdout.pipe(opts.stdout, { end: false });
  else child.stdout.resume();
  if (opts.stderr && !opts.tty) child.stderr.pipe(opts.stderr, { end: false });
  else child.stderr.resume();

  // The exec'd process first, read synchronously: once runc is killed the pid file is removed
  // (finally, below), and a read still in flight would find nothing and leave the process running.
  const killExeced = (): boolean => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
      return true;
    } catch {
      return false; // no pid file yet, or the process is gone
    }
  };
  let waiting: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    if (killExeced()) return void child.kill('SIGKILL');
    // runc writes the pid file once the process runs, and its first output can come before that:
    // killing runc now would orphan the process. Wait (bounded) for the file, or for runc to end.
    let tries = 0;
    waiting = setInterval(() => {
      if (!killExeced() && ++tries < 200 && child.exitCode === null && child.signalCode === null) return;
      clearInterval(waiting);
      child.kill('SIGKILL');
    }, 10);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, sig) => resolve(c ?? (sig ? 128 + (sigNum[sig] ?? 9) : 1)));
    });
    return { exitCode: code };
  } finally {
    clearInterval(waiting);
    ended.abort();
    opts.signal?.removeEventListener('abort', onAbort);
    opts.stdin?.unpipe(child.stdin);
    await rm(pidFile, { force: true });
  }
}

const sigNum: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 };
