import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './server-child.ts';
import type { Target } from './load.ts';
import type { ThreadHeaps } from './thread-heaps.ts';

export interface ServerProcess {
  target: Target;
  /** The server's process id (the scale bench reads its RSS from /proc). */
  pid: number;
  /** Cumulative CPU time (user + system) of the server process in microseconds. */
  cpuMicros(): Promise<number>;
  /** The server's main-thread heap in use after a full GC, in bytes (NaN if it does not answer). */
  heapUsedAfterGc(): Promise<number>;
  /** The main thread's heap (no GC) and each worker thread's after a GC of its own (thread-heaps.ts); null if it does not answer. */
  heaps(): Promise<ThreadHeaps | null>;
  /** With SpawnOptions.cpuProfDir: start a CPU profile; the returned function writes it as `name`. */
  profile(): Promise<(name: string) => Promise<void>>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  dataDir?: string;
  /** Write V8 CPU profiles of the server process (one per profile() call) into this directory. */
  cpuProfDir?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

import { TS_EXEC_ARGV } from './ts-exec-argv.ts';
import { API_SERVER_NODE_FLAGS } from '../bin/apiserver-process.mjs';

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

export async function spawnServer(kind: 'fastify' | 'portcullis', o: SpawnOptions = {}): Promise<ServerProcess> {
  // The API server runs with the V8 flags `portcullis up` gives it; BENCH_SERVER_NODE_FLAGS
  // replaces them (space-separated; empty: V8's defaults) to compare.
  const serverFlags = process.env.BENCH_SERVER_NODE_FLAGS === undefined ? API_SERVER_NODE_FLAGS : process.env.BENCH_SERVER_NODE_FLAGS.split(/\s+/).filter(Boolean);
  const execArgv = [...TS_EXEC_ARGV, ...(kind === 'portcullis' ? serverFlags : [])];
  const args = o.dataDir ? [kind, o.dataDir] : [kind];
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  if (o.cpuProfDir) env.BENCH_CPU_PROF_DIR = o.cpuProfDir;
  // The child's stdout goes to our stderr: our stdout carries only the result JSON.
  const child: ChildProcess = fork(CHILD, args, { execArgv, stdio: ['ignore', 2, 2, 'ipc'], env });
  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} server did not start within ${o.startTimeoutMs ?? 120_000} ms`));
    }, o.startTimeoutMs ?? 120_000);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${kind} server failed to start:\n${m.error}`));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with code ${code} before it was ready`));
    });
  });

  let nextId = 1;
  const waiters = new Map<number, (m: ChildMessage) => void>();
  child.on('message', (m: ChildMessage) => {
    if (!('id' in m)) return;
    waiters.get(m.id)?.(m);
    waiters.delete(m.id);
  });
  /** One IPC round trip, bounded: undefined if the child does not answer in time. */
  const ask = (msg: { type: string; name?: string }, timeoutMs: number): Promise<ChildMessage | undefined> =>
    new Promise((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiters.delete(id);
        resolve(undefined);
      }, timeoutMs);
      waiters.set(id, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      child.send({ ...msg, id });
    });
  return {
    target: { host: '127.0.0.1', port: ready.port, tls: ready.tls },
    pid: child.pid ?? 0,
    cpuMicros: async () => {
      const m = await ask({ type: 'cpu' }, 5000);
      return m?.type === 'cpu' ? m.micros : NaN;
    },
    heapUsedAfterGc: async () => {
      const m = await ask({ type: 'heap' }, 30_000);
      return m?.type === 'heap' ? m.usedBytes : NaN;
    },
    heaps: async () => {
      const m = await ask({ type: 'heaps' }, 60_000);
      return m?.type === 'heaps' ? m.heaps : null;
    },
    profile: async () => {
      if (!o.cpuProfDir) return async () => {};
      await ask({ type: 'prof-start' }, 5000);
      return async (name: string) => {
        await ask({ type: 'prof-stop', name }, 30_000);
      };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
        }, 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}
