import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { FakeImageService, FakeRuntime } from './runtime/fake.ts';
import { PodSyncer } from './pod-sync.ts';
import { RUNTIME_CLASSES } from './runtime-class.ts';

const quiet = { warn() {}, info() {} };

async function run(runtimeClassName: string): Promise<{ status: Record<string, unknown>; sandboxes: number }> {
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  const client = new FakeApiClient();
  client.seed<K8sObject>(RUNTIME_CLASSES, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'kata' }, handler: 'kata-qemu' } as K8sObject);
  client.seed<K8sObject>(RUNTIME_CLASSES, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'plain' }, handler: 'runc' } as K8sObject);
  const pod = client.seed<K8sObject>(resources.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { nodeName: 'n', runtimeClassName, containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent' }] },
  }) as Pod;
  const runtime = new FakeRuntime({ now });
  const syncer = new PodSyncer({
    runtime, images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    scheme: 'fake', now, pods: () => [pod], requeueAfter() {}, log: quiet,
  });
  try {
    await syncer.sync(pod);
  } finally {
    syncer.probes.stop();
  }
  return { status: client.stored<K8sObject>(resources.pods, 'default')[0]!.status ?? {}, sandboxes: (await runtime.list()).sandboxes.length };
}

test('a pod asking for a runtime handler other than runc is rejected, not run under runc', async () => {
  const kata = await run('kata');
  assert.equal(kata.sandboxes, 0, 'nothing started');
  assert.deepEqual([kata.status['phase'], kata.status['reason'], kata.status['message']], ['Failed', 'RuntimeHandlerNotSupported', 'Pod was rejected: failed to get sandbox runtime: no runtime for "kata-qemu" is configured']);
  const missing = await run('nope');
  assert.deepEqual([missing.status['phase'], missing.status['reason']], ['Failed', 'RuntimeClassNotFound']);
  const plain = await run('plain');
  assert.equal(plain.sandboxes, 1, 'handler runc runs');
  assert.notEqual(plain.status['phase'], 'Failed');
});
