/** Reading an audit log while the server writes it (the writer is asynchronous). */
import { existsSync, readFileSync } from 'node:fs';
import { listBackups } from '../../src/audit/rotation.ts';

/** The records of the log at `path` and its rotated backups, in order. */
export function readEvents(path: string): any[] {
  const files = [...listBackups(path).map((b) => b.file), path].filter((f) => existsSync(f));
  // A line being written may be cut short; it is read on the next poll.
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  }));
}

/** Waits until the log holds records for which `pred` is true; fails with what it saw. */
export async function waitForRecords(path: string, pred: (recs: any[]) => boolean, what: string, timeoutMs = 10_000): Promise<any[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const recs = readEvents(path);
    if (pred(recs)) return recs;
    if (Date.now() > end) throw new Error(`audit log never had ${what}; last records: ${JSON.stringify(recs.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  rules: [
    { level: 'None', nonResourceURLs: ['/healthz*', '/readyz*', '/livez*'] },
    // The controllers' own traffic is not what these tests look at.
    { level: 'None', userGroups: ['system:serviceaccounts'] },
    { level: 'None', users: ['system:kube-controller-manager', 'system:kube-scheduler'] },
    { level: 'RequestResponse', resources: [{ group: '', resources: ['configmaps'] }], namespaces: ['audited'] },
    { level: 'Metadata', resources: [{ group: '', resources: ['secrets'] }] },
    { level: 'Request', resources: [{ group: 'authentication.k8s.io', resources: ['tokenreviews'] }] },
    { level: 'None', resources: [{ group: '', resources: ['events'] }] },
    { level: 'Metadata', omitStages: ['RequestReceived'] },
  ],
} as const;
