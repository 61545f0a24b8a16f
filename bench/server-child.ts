/**
 * Runs one server under test in its own process, so that it gets a core of its own and the load
 * generator's work never shows up in its numbers. Usage (from server-process.ts):
 *   node --import tsx bench/server-child.ts fastify|portcullis [dataDir]
 * Talks over the IPC channel: sends {type:'ready', ...}; answers {type:'cpu'}, {type:'heap'} (the
 * main thread's heap in use after a full GC) and {type:'heaps'} (thread-heaps.ts: the main
 * thread's heap without a GC, each worker's after one); exits on {type:'stop'}.
 * With BENCH_CPU_PROF_DIR set, {type:'prof-start'} / {type:'prof-stop', name} write one V8 CPU
 * profile per scenario to <dir>/<kind>-<name>.cpuprofile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { startFastifyBaseline } from './baseline-fastify.ts';
import type { TlsClientMaterial } from './load.ts';
import { mainHeap, workerHeapsAfterGc, type ThreadHeaps } from './thread-heaps.ts';

interface Running {
  port: number;
  tls: TlsClientMaterial;
  close(): Promise<void>;
}

export type ChildMessage =
  | { type: 'ready'; port: number; tls: TlsClientMaterial }
  | { type: 'cpu'; id: number; micros: number }
  | { type: 'heap'; id: number; usedBytes: number }
  | { type: 'heaps'; id: number; heaps: ThreadHeaps }
  | { type: 'prof'; id: number }
  | { type: 'failed'; error: string };

/** A full GC on demand without starting the process with --expose-gc (its heap sizing unchanged). */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function reply(m: ChildMessage): void {
  process.send?.(m);
}

async function start(kind: string, dataDir: string | undefined): Promise<Running> {
  if (kind === 'fastify') return startFastifyBaseline();
  if (kind === 'portcullis') {
    if (!dataDir) throw new Error('portcullis needs a data directory');
    const { startControlPlane } = await import('../src/server/control-plane.ts');
    // Logs go to stderr: stdout belongs to the benchmark's JSON.
    const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const durability = process.env.BENCH_DURABILITY === 'normal' ? 'normal' : 'full';
    // BENCH_CONTROL_PLANE: extra startControlPlane options as JSON (the scale bench runs no controllers).
    const extra = JSON.parse(process.env.BENCH_CONTROL_PLANE ?? '{}') as { controllers?: string[]; leaderElect?: boolean; componentsInWorker?: boolean; watch?: { maxBacklogEvents?: number } };
    const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger, durability, ...extra });
    return { port: cp.port, tls: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, close: () => cp.close() };
  }
  throw new Error(`unknown server kind ${kind}`);
}

async function main(): Promise<void> {
  const [kind = '', dataDir] = process.argv.slice(2);
  let running: Running;
  try {
    running = await start(kind, dataDir);
  } catch (err) {
    reply({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  }
  const profDir = process.env.BENCH_CPU_PROF_DIR;
  const session = profDir ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
  }
  process.on('message', (m: { type: string; id?: number; name?: string }) => {
    if (m.type === 'prof-start' || m.type === 'prof-stop') {
      void (async () => {
        if (session && profDir && m.type === 'prof-start') await session.post('Profiler.start');
        if (session && profDir && m.type === 'prof-stop') {
          const { profile } = await session.post('Profiler.stop');
          writeFileSync(join(profDir, `${kind}-${m.name ?? 'profile'}.cpuprofile`), JSON.stringify(profile));
        }
      })()
        .catch((err: unknown) => process.stderr.write(`profiling failed: ${String(err)}\n`))
        .finally(() => reply({ type: 'prof', id: m.id ?? 0 }));
    } else if (m.type === 'heap') {
      // What the heap holds, not what garbage it has yet to collect (RSS follows the GC's timing).
      fullGc();
      reply({ type: 'heap', id: m.id ?? 0, usedBytes: process.memoryUsage().heapUsed });
    } else if (m.type === 'heaps') {
      // Per phase: the main thread as it is, each worker (the scheduler's) after a GC of its own.
      const main = mainHeap();
      void workerHeapsAfterGc()
        .catch(() => [])
        .then((workers) => reply({ type: 'heaps', id: m.id ?? 0, heaps: { main, workers } }));
    } else if (m.type === 'cpu') {
      const u = process.cpuUsage();
      reply({ type: 'cpu', id: m.id ?? 0, micros: u.user + u.system });
    } else if (m.type === 'stop') {
      const hard = setTimeout(() => process.exit(0), 5000);
      hard.unref();
      void running.close().finally(() => process.exit(0));
    }
  });
  // If the parent dies, do not linger.
  process.on('disconnect', () => process.exit(0));
  reply({ type: 'ready', port: running.port, tls: running.tls });
}

void main();
