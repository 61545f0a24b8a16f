import assert from 'node:assert/strict';
import { runKubectl, type Run } from './kubectl.ts';

/** kubectl of one minor version against one kubeconfig: `kubectl` asserts success, `json` parses `-o json`. */
export interface KubectlSession {
  run(args: string[], stdin?: string, timeoutMs?: number): Promise<Run>;
  kubectl(args: string[], stdin?: string, timeoutMs?: number): Promise<Run>;
  json(args: string[]): Promise<any>;
}

/** `kubeconfig` is read at each call, so a session can be made before the cluster starts. */
export function kubectlSession(minor: number, kubeconfig: () => string): KubectlSession {
  const run = (args: string[], stdin?: string, timeoutMs?: number) => runKubectl(minor, kubeconfig(), args, stdin, timeoutMs);
  const kubectl = async (args: string[], stdin?: string, timeoutMs?: number): Promise<Run> => {
    const r = await run(args, stdin, timeoutMs);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r;
  };
  const json = async (args: string[]): Promise<any> => JSON.parse((await kubectl([...args, '-o', 'json'])).stdout);
  return { run, kubectl, json };
}

/** Polls every 200 ms until `fn` returns a value (not undefined); 60 s at most. Errors count as not yet. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 300; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
