/**
 * Calls to the runc binary with our own state root (--root), so the agent's containers never mix
 * with another runc user's. Long-running `runc run` is not here: the shim (shim.ts) owns it.
 */
import { execFile } from 'node:child_process';
import type { Launcher } from './launcher.ts';

export interface RuncCli {
  readonly binary: string;
  readonly root: string;
  /** Runs kill and delete (a spawn from the agent forks all of it); without one they are spawned here. */
  readonly launcher?: Launcher;
}

export class RuncError extends Error {
  readonly args: readonly string[];
  readonly stderr: string;
  readonly code: number | null;

  constructor(args: readonly string[], stderr: string, code: number | null) {
    super(`runc ${args[0] ?? ''} failed: ${stderr.trim() || `exit code ${code}`}`);
    this.args = args;
    this.stderr = stderr;
    this.code = code;
  }

  /** runc's "container does not exist" for kill/delete/state on a removed container. */
  get notFound(): boolean {
    return /does not exist|not found/i.test(this.stderr);
  }
}

export function runc(cli: RuncCli, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cli.binary, ['--root', cli.root, ...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        reject(new RuncError(args, String(stderr), code));
        return;
      }
      resolve(String(stdout));
    });
  });
}

/**
 * A runc command whose output is not read, only its success: through the launcher when there is
 * one (its output, stdout and stderr together, stands for stderr), with coreutils' timeout.
 */
async function runcQuiet(cli: RuncCli, args: readonly string[], timeoutMs = 30_000): Promise<void> {
  if (!cli.launcher) {
    await runc(cli, args, timeoutMs);
    return;
  }
  const r = await cli.launcher.run(['timeout', '-s', 'KILL', `${Math.ceil(timeoutMs / 1000)}s`, cli.binary, '--root', cli.root, ...args]);
  if (r.code !== 0) throw new RuncError(args, r.output, r.code);
}

export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  created: string;
}

/** `runc state`, or undefined when runc does not know the container. */
export async function runcState(cli: RuncCli, id: string): Promise<RuncState | undefined> {
  try {
    return JSON.parse(await runc(cli, ['state', id])) as RuncState;
  } catch (err) {
    if (err instanceof RuncError && err.notFound) return undefined;
    throw err;
  }
}

/** A signal runc kill takes: a name with or without SIG, or a number. */
export function isSignal(s: string): boolean {
  return /^(SIG)?[A-Z][A-Z0-9+-]*$|^[0-9]{1,2}$/.test(s);
}

/** `runc kill`; a container that is gone or already stopped is not an error. */
export async function runcKill(cli: RuncCli, id: string, signal: string): Promise<void> {
  if (!isSignal(signal)) throw new Error(`invalid stop signal ${JSON.stringify(signal)}`);
  try {
    await runcQuiet(cli, ['kill', id, signal]);
  } catch (err) {
    if (err instanceof RuncError && (err.notFound || /not running|stopped/i.test(err.stderr))) return;
    throw err;
  }
}

/** `runc delete --force`; idempotent. */
export async function runcDelete(cli: RuncCli, id: string): Promise<void> {
  try {
    await runcQuiet(cli, ['delete', '--force', id]);
  } catch (err) {
    if (err instanceof RuncError && err.notFound) return;
    throw err;
  }
}
