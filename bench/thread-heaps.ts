/**
 * The heaps of a bench server process's threads, read from inside it (bench/server-child.ts):
 * the main thread's (the API server) as V8 reports it, without a GC (a full GC of a large heap
 * would pause the server mid-phase), and each worker thread's (the scheduler and the controller
 * manager run in one, src/cluster/components-worker.ts) in use after a full GC of that worker
 * only. The worker is reached through the inspector's NodeWorker domain, as a debugger attaches to
 * it, so nothing in the server's own code has to answer; the session is detached again at once.
 */
import { Session } from 'node:inspector/promises';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const MIB = 1048576;
const round1 = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;

export interface ThreadHeaps {
  /** The main thread: heap in use (garbage included), committed, and the young generation's share of it. */
  main: { usedMiB: number; totalMiB: number; newSpaceMiB: number };
  /** Each worker thread: its URL (or title), heap in use after a full GC, committed after it. */
  workers: Array<{ worker: string; usedAfterGcMiB: number; totalMiB: number }>;
}

export function mainHeap(): ThreadHeaps['main'] {
  const h = getHeapStatistics();
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return { usedMiB: round1(h.used_heap_size), totalMiB: round1(h.total_heap_size), newSpaceMiB: round1(young?.space_size ?? 0) };
}

interface WorkerMessage {
  id: number;
  result?: { usedSize?: number; totalSize?: number };
  error?: { message: string };
}

/** Each worker thread's heap after a full GC; a worker that does not answer within timeoutMs is left out. */
export async function workerHeapsAfterGc(timeoutMs = 20_000): Promise<ThreadHeaps['workers']> {
  const session = new Session();
  session.connect();
  const attached: Array<{ sessionId: string; worker: string }> = [];
  const waiting = new Map<number, (m: WorkerMessage) => void>();
  let nextId = 0;
  session.on('NodeWorker.attachedToWorker', (m) => attached.push({ sessionId: m.params.sessionId, worker: m.params.workerInfo.url || m.params.workerInfo.title }));
  session.on('NodeWorker.receivedMessageFromWorker', (m) => {
    const msg = JSON.parse(m.params.message) as WorkerMessage;
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  const call = (sessionId: string, method: string) =>
    new Promise<WorkerMessage>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => (waiting.delete(id), reject(new Error(`${method}: no answer in ${timeoutMs} ms`))), timeoutMs);
      waiting.set(id, (msg) => (clearTimeout(timer), resolve(msg)));
      session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method }) }).catch(reject);
    });
  try {
    // Existing workers are reported as attached before enable answers.
    await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    const out: ThreadHeaps['workers'] = [];
    for (const w of attached) {
      try {
        await call(w.sessionId, 'HeapProfiler.collectGarbage');
        const usage = await call(w.sessionId, 'Runtime.getHeapUsage');
        if (usage.result?.usedSize !== undefined) out.push({ worker: w.worker, usedAfterGcMiB: round1(usage.result.usedSize), totalMiB: round1(usage.result.totalSize ?? 0) });
      } catch {
        // a busy or exiting worker: left out rather than holding up the run
      } finally {
        await session.post('NodeWorker.detach', { sessionId: w.sessionId }).catch(() => {});
      }
    }
    return out;
  } finally {
    await session.post('NodeWorker.disable').catch(() => {});
    session.disconnect();
  }
}
