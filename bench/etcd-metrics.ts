/**
 * What etcd itself did during a load (issue 18): its Prometheus counters at /metrics, read before
 * and after, per create. Tells "the API server sends etcd more than one Txn per create" (extra
 * reads, retries, progress requests) and "etcd batches few puts per WAL fsync" (too few writes in
 * flight) apart from "the API server's own event loop is the wait", without guessing.
 */

/** The counters read: gRPC calls by method, mvcc puts, WAL fsyncs. */
const COUNTER = /^(grpc_server_handled_total|etcd_mvcc_put_total|etcd_disk_wal_fsync_duration_seconds_count)(\{[^}]*\})?\s+(\S+)$/;

export type EtcdCounters = Map<string, number>;

/** The counters this module uses from a Prometheus text exposition; other lines are ignored. */
export function parseEtcdCounters(text: string): EtcdCounters {
  const out: EtcdCounters = new Map();
  for (const line of text.split('\n')) {
    const m = COUNTER.exec(line.trim());
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    let key = m[1];
    if (key === 'grpc_server_handled_total') {
      const method = /grpc_method="([^"]*)"/.exec(m[2] ?? '')?.[1];
      if (!method) continue;
      key = `grpc:${method}`;
    }
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

export async function readEtcdCounters(server: string): Promise<EtcdCounters> {
  const res = await fetch(`${server}/metrics`);
  if (!res.ok) throw new Error(`${server}/metrics: HTTP ${res.status}`);
  return parseEtcdCounters(await res.text());
}

export interface EtcdWorkPerCreate {
  creates: number;
  /** etcd's gRPC calls (every code) per create, by method: Txn, Range, Put, Watch... */
  callsPerCreate: Record<string, number>;
  putsPerCreate: number;
  /** How many puts etcd committed per WAL fsync: its batching, which grows with the writes in flight. */
  putsPerFsync: number | null;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** The difference of two readings, per create (creates: the namespaces etcd gained, warm-up included). */
export function etcdWorkPerCreate(before: EtcdCounters, after: EtcdCounters, creates: number): EtcdWorkPerCreate {
  const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const per = (n: number) => (creates > 0 ? r3(n / creates) : 0);
  const callsPerCreate: Record<string, number> = {};
  for (const k of after.keys()) {
    if (!k.startsWith('grpc:')) continue;
    const d = delta(k);
    if (d > 0) callsPerCreate[k.slice(5)] = per(d);
  }
  const puts = delta('etcd_mvcc_put_total');
  const fsyncs = delta('etcd_disk_wal_fsync_duration_seconds_count');
  return { creates, callsPerCreate, putsPerCreate: per(puts), putsPerFsync: fsyncs > 0 ? r3(puts / fsyncs) : null };
}
