/**
 * managedFields of a repeat write by an object's only manager (issue 12): a node renewing its
 * Lease (PUT with a new renewTime, as bench/request-cpu.ts sends it) and a controller
 * rewriting a ConfigMap value it alone wrote. Per updateManagedFields call: CPU, and bytes
 * allocated (garbage included) as V8's sampling heap profiler counts them over a second pass;
 * the garbage is what the API server's scavenges pay for later. The inputs are what the write
 * path passes: the stored object as the handler's deep copy, managedFields included.
 *
 * Usage: node bench/repeat-write-fields.ts [calls per round (50000)] [rounds (5)]
 * OLD=<path of another src/api/apply/update.ts> alternates that module and this tree's in one
 * process, round by round (e.g. from `git archive <commit> src | tar -x -C /tmp/old`).
 */
import { Session } from 'node:inspector';
import { loadSchema } from '../src/api/schema/schema.ts';
import { updateManagedFields } from '../src/api/apply/update.ts';

const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 5);
type Update = typeof updateManagedFields;
const impls: Array<[string, Update]> = [['this tree', updateManagedFields]];
if (process.env.OLD) impls.unshift(['OLD', ((await import(process.env.OLD)) as { updateManagedFields: Update }).updateManagedFields]);
const schema = loadSchema();
const T0 = '2026-01-01T00:00:00Z';
const micro = (i: number) => `2026-01-01T00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1e6).padStart(6, '0')}Z`;

const lease = (renewTime: string) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'n1', namespace: 'kube-node-lease', uid: 'u1', resourceVersion: '7', creationTimestamp: T0 },
  spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime },
});
const cm = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns', uid: 'u', resourceVersion: '9', creationTimestamp: T0, labels: { app: 'x' } }, data: { a: v, b: 'x'.repeat(64) } });

const cases = [
  { name: 'Lease renewal', typeName: 'k8s.io.api.coordination.v1.Lease', manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', make: (i: number) => lease(micro(i)) },
  { name: 'ConfigMap rewrite', typeName: 'k8s.io.api.core.v1.ConfigMap', manager: 'ctl', apiVersion: 'v1', make: (i: number) => cm(String(i)) },
];

const session = new Session();
session.connect();
const post = (m: string, p: object = {}): Promise<any> => new Promise((res, rej) => session.post(m, p, (e, o) => (e ? rej(e) : res(o))));
function sumSelf(n: { selfSize: number; children?: unknown[] }): number {
  return n.selfSize + (n.children ?? []).reduce<number>((s, c) => s + sumSelf(c as typeof n), 0);
}

const out: Record<string, Record<string, { cpuUs: number[]; bytes: number[] }>> = {};
for (let r = 0; r <= ROUNDS; r++) {
  for (const c of cases) {
    const first = c.make(0);
    // The stored object as the update sees it: its own deep copy, with the entry of the create.
    const stored = structuredClone({ ...first, metadata: { ...first.metadata, managedFields: updateManagedFields(schema, c.typeName, undefined, first, c.manager, 'Update', '', T0, { apiVersion: c.apiVersion }) } });
    const inputs = Array.from({ length: N }, (_, i) => [structuredClone(stored), c.make(i + 1)] as const);
    for (const [name, update] of impls) {
      const run = () => {
        for (let i = 0; i < N; i++) update(schema, c.typeName, inputs[i]![0], inputs[i]![1], c.manager, 'Update', '', T0, { resetFields: [], apiVersion: c.apiVersion });
      };
      const c0 = process.cpuUsage();
      run();
      const cpu = process.cpuUsage(c0);
      // Bytes: a second pass under the sampling heap profiler (objects collected since counted too).
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      run();
      const { profile } = await post('HeapProfiler.stopSampling');
      if (r === 0) continue; // warm-up
      const slot = ((out[c.name] ??= {})[name] ??= { cpuUs: [], bytes: [] });
      slot.cpuUs.push(Math.round(((cpu.user + cpu.system) / N) * 100) / 100);
      slot.bytes.push(Math.round(sumSelf(profile.head) / N));
    }
  }
}
console.log(JSON.stringify({ calls: N, rounds: ROUNDS, perCall: out }, null, 1));
