/**
 * What the scale bench watches from outside the server: when each pod is first seen bound, the
 * Scheduled Events written, and the server's resident memory.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { RestClient } from '../src/cluster/client/rest-client.ts';
import { resources } from '../src/cluster/client/resources.ts';
import type { K8sObject, WatchHandle } from '../src/cluster/client/types.ts';
import { round } from './stats.ts';

/** VmRSS and VmHWM (peak) of a process, in MiB; null where /proc is not there (not Linux). */
export function rssOf(pid: number): { rss: number | null; peak: number | null } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? round(Number(m[1]) / 1024, 1) : null;
    };
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
  } catch {
    return { rss: null, peak: null };
  }
}

/** Records the first time the watch shows each pod bound (creates before the watch are not missed: it starts first). */
export function watchBindings(client: RestClient, ns: string, rv: string, boundAt: Map<string, number>, onBound: () => void): WatchHandle & { restarts(): number } {
  let handle: WatchHandle | undefined;
  let closed = false;
  let lastRv = rv;
  let restarts = 0;
  const open = () => {
    handle = client.watch<K8sObject>(resources.pods, ns, { resourceVersion: lastRv }, (e) => {
      const o = e.object as K8sObject & { spec?: { nodeName?: string } };
      if (e.type === 'ERROR' || e.type === 'BOOKMARK') return;
      lastRv = o.metadata.resourceVersion ?? lastRv;
      const name = o.metadata.name ?? '';
      if (o.spec?.nodeName && !boundAt.has(name)) {
        boundAt.set(name, performance.now());
        onBound();
      }
    }, () => {
      // The server ends watches now and then: go on from the last revision seen.
      if (closed) return;
      restarts++;
      setTimeout(open, 100);
    });
  };
  open();
  return { close() { closed = true; handle?.close(); }, restarts: () => restarts };
}

/** The Scheduled Events in the namespace (a few seconds after the last bind, so the scheduler's queue has drained). */
export async function countScheduledEvents(client: RestClient, ns: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 3_000));
  let n = 0;
  let cont: string | undefined;
  do {
    const page = await client.list<K8sObject & { reason?: string }>(resources.events, ns, { limit: 1000, continue: cont });
    for (const e of page.items) if (e.reason === 'Scheduled') n++;
    cont = page.metadata.continue || undefined;
  } while (cont);
  return n;
}
