import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from './schema.ts';
import { pruneUnknownFields } from './prune.ts';
import { findUnknownFields } from './unknown-fields.ts';

test('prunes exactly the fields findUnknownFields reports', () => {
  const schema = loadSchema();
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', bogus: 1, labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i', extra: true, ports: [{ containerPort: 80, what: 1 }] }], nope: {} },
  };
  const typeName = 'k8s.io.api.core.v1.Pod';
  assert.deepEqual(findUnknownFields(schema, typeName, pod).sort(), ['metadata.bogus', 'spec.containers[0].extra', 'spec.containers[0].ports[0].what', 'spec.nope']);
  pruneUnknownFields(schema, typeName, pod);
  assert.deepEqual(findUnknownFields(schema, typeName, pod), []);
  assert.deepEqual(pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] },
  });
});
