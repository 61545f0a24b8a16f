import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../../client/fake.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject } from '../../client/types.ts';
import { FakeImageService, FakeRuntime } from '../runtime/fake.ts';
import { PodSyncer } from '../pod-sync.ts';

const quiet = { warn() {}, info() {} };

test('a pod with an eviction verdict is killed by its sync: Failed, Evicted, the message, one event, no DisruptionTarget', async () => {
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  const client = new FakeApiClient();
  const pod = client.seed<K8sObject>(resources.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
    spec: { nodeName: 'n', containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent', resources: { limits: { 'ephemeral-storage': '2Mi' } } }] },
  }) as Pod;
  const runtime = new FakeRuntime({ now });
  const verdicts = new Map<string, string>();
  const events: string[] = [];
  const syncer = new PodSyncer({
    runtime, images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    scheme: 'fake', now, pods: () => [pod], requeueAfter() {}, log: quiet, evictionVerdict: (uid) => verdicts.get(uid),
    recorder: { event: (_o, _r, type, reason, message) => events.push(`${type} ${reason}: ${message}`) },
  });
  try {
    await syncer.sync(pod);
    const stored = () => client.stored<K8sObject>(resources.pods, 'default')[0] as Pod;
    assert.equal(stored().status?.phase, 'Running');
    const msg = 'Container c exceeded its local ephemeral storage limit "2Mi". ';
    verdicts.set(pod.metadata!.uid!, msg);
    await syncer.sync(stored());
    const s = stored().status!;
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'Evicted');
    assert.equal(s.message, msg);
    assert.ok(!(s.conditions ?? []).some((c) => c.type === 'DisruptionTarget'));
    assert.ok(s.containerStatuses?.[0]?.state?.terminated, 'its container was stopped');
    assert.ok((await runtime.list()).containers.every((c) => c.state !== 'running'));
    // Synced again from a stale copy (still Running): no second event, no new container.
    await syncer.sync(pod);
    // Upstream's order: the Evicted event, then killContainer's Killing for each running container.
    assert.deepEqual(events.filter((e) => /Evicted|Killing/.test(e)), [`Warning Evicted: ${msg}`, 'Normal Killing: Stopping container c']);
    assert.equal((await runtime.list()).containers.length, 1);
  } finally {
    syncer.probes.stop();
  }
});
