/**
 * The controller manager and the scheduler of `portcullis up` in a worker thread of their own:
 * they are API clients over loopback HTTPS either way, but in a worker their informers, queues
 * and TLS run on another core instead of the API server's event loop (on 2 cores this is what
 * bounds scheduling throughput). The API server never shares memory with them; the worker gets
 * only the cluster CA to mint its components' client certificates, as in-process.
 */
import { Worker } from 'node:worker_threads';
import type { SchedulerFileSettings } from './scheduler/process.ts';

export interface ComponentsWorkerData {
  server: string;
  caCertPem: string;
  caKeyPem: string;
  /** --controllers; undefined: no controller manager. */
  controllers?: string[];
  clusterCIDR?: string;
  scheduler: boolean;
  /** The scheduler's binds in flight at most (its default when unset). */
  parallelBinds?: number;
  leaderElect: boolean;
  logLevel: string;
  /** `up --scheduler-config`: the KubeSchedulerConfiguration's settings, resolved (its election replaces leaderElect's). */
  schedulerSettings?: SchedulerFileSettings;
}

export interface ComponentsWorker {
  stop(): Promise<void>;
}

export async function startComponentsWorker(data: ComponentsWorkerData, timeoutMs = 60_000): Promise<ComponentsWorker> {
  const worker = new Worker(new URL('./components-worker-entry.mjs', import.meta.url), { workerData: data });
  let exited = false;
  const exit = new Promise<void>((r) => worker.once('exit', () => ((exited = true), r())));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the controller manager and scheduler worker did not start within ${timeoutMs} ms`)), timeoutMs);
    worker.on('message', (m: unknown) => {
      if (m === 'started') (clearTimeout(t), resolve());
      else if (m && typeof m === 'object' && 'error' in m) (clearTimeout(t), reject(new Error(`controller manager / scheduler worker: ${String((m as { error: unknown }).error)}`)));
    });
    worker.once('error', (err) => (clearTimeout(t), reject(err)));
    worker.once('exit', (code) => (clearTimeout(t), reject(new Error(`the controller manager and scheduler worker exited (${code}) while starting`))));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  return {
    async stop() {
      if (exited) return;
      const stopped = new Promise<void>((r) => worker.on('message', (m) => m === 'stopped' && r()));
      worker.postMessage('stop');
      // Components stop in seconds; past that the thread is ended.
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 10_000).unref())]);
      await worker.terminate();
      await exit;
    },
  };
}
