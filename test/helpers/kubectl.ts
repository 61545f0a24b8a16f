import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { requirePart } from './real-parts.ts';

export { requirePart };

const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';

export function kubectlPath(minor: number): string {
  return `${KUBECTL_DIR}/kubectl.1.${minor}`;
}

export function kubectlSkip(minor: number): string | false {
  return requirePart(`kubectl 1.${minor} (${kubectlPath(minor)})`, existsSync(kubectlPath(minor)));
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runKubectl(minor: number, kubeconfig: string, args: string[], stdin?: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath(minor), args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: process.env.HOME ?? '/tmp' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/**
 * `kubectl port-forward <target> :<remotePort>` in the background: `local` is the port kubectl
 * listens on once it says so, rejected if kubectl exits first. The caller kills `child`.
 */
export function startPortForward(minor: number, kubeconfig: string, target: string, remotePort: number): { child: ChildProcess; local: Promise<number> } {
  const child = spawn(kubectlPath(minor), ['port-forward', target, `:${remotePort}`], { env: { ...process.env, KUBECONFIG: kubeconfig } });
  const local = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('close', (code) => reject(new Error(`kubectl exited ${code}: ${out}`)));
  });
  return { child, local };
}

/** A long-running kubectl whose output can be waited on line by line as it arrives. */
export function streamKubectl(minor: number, kubeconfig: string, args: string[]) {
  const child = spawn(kubectlPath(minor), args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited = false;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), wake()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.on('close', () => ((exited = true), wake()));
  return {
    stdout: () => out,
    kill: () => child.kill('SIGKILL'),
    /** Resolves once stdout matches; rejects if kubectl ends (or 30 s pass) first. */
    waitFor(re: RegExp): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${re}`)), 30_000);
        const check = () => {
          if (re.test(out)) done();
          else if (exited) done(new Error(`kubectl ended before printing ${re}`));
        };
        const done = (e?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(new Error(`${e.message}\nstdout:\n${out}\nstderr:\n${err}`));
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}
