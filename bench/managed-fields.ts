/**
 * Micro-benchmark of the write path's managedFields bookkeeping (updateManagedFields), for a
 * create and an update of the bench ConfigMap and of a small Deployment: microseconds per call.
 * Usage: node --import tsx bench/managed-fields.ts [iterations]
 */
import { updateManagedFields } from '../src/api/apply/update.ts';
import { loadSchema } from '../src/api/schema/schema.ts';
import { configMap } from './shapes.ts';

const schema = loadSchema();
const N = Number(process.argv[2] ?? 20_000);
const T0 = '2024-01-01T00:00:00Z';

function deployment(name: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'bench', labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'bench' }] }] },
      },
    },
  };
}

const cases = [
  { name: 'ConfigMap', gvk: { group: '', version: 'v1', kind: 'ConfigMap' }, make: (i: number) => configMap('bench', `c-${i}`) },
  { name: 'Deployment', gvk: { group: 'apps', version: 'v1', kind: 'Deployment' }, make: (i: number) => deployment(`d-${i}`) },
];

function time(label: string, run: (i: number) => void): void {
  for (let i = 0; i < Math.min(N, 2000); i++) run(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) run(i);
  const us = Number(process.hrtime.bigint() - start) / 1000 / N;
  console.log(`${label.padEnd(24)} ${us.toFixed(2)} us/call`);
}

for (const c of cases) {
  const typeName = schema.typeNameForKind(c.gvk);
  const apiVersion = c.gvk.group ? `${c.gvk.group}/${c.gvk.version}` : c.gvk.version;
  time(`create ${c.name}`, (i) => {
    updateManagedFields(schema, typeName, undefined, c.make(i), 'kubectl', 'Update', '', T0, { resetFields: ['status'], apiVersion });
  });
  const old = c.make(0);
  old.metadata = { ...(old.metadata as object), managedFields: updateManagedFields(schema, typeName, undefined, c.make(0), 'kubectl', 'Update', '', T0, { apiVersion }) };
  time(`update ${c.name}`, (i) => {
    const next = c.make(0);
    (next.metadata as Record<string, unknown>).labels = { app: `v${i}` };
    updateManagedFields(schema, typeName, old, next, 'other', 'Update', '', T0, { resetFields: ['status'], apiVersion });
  });
}
