import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageGcManager, imageGcPolicyError, type GcImage, type ImageGcDeps } from './image-gc.ts';
import type { ContainerStatus } from './runtime/types.ts';

const MB = 1024 * 1024;

function harness(o: { images: GcImage[]; inUse?: string[]; capacity?: number; available?: number; policy?: ImageGcDeps['policy'] }) {
  const images = [...o.images];
  const removed: string[] = [];
  const warnings: [string, string][] = [];
  let now = 1_000_000;
  let inUse = o.inUse ?? [];
  const fs = { capacityBytes: o.capacity ?? 1000 * MB, availableBytes: o.available ?? 100 * MB };
  const gc = new ImageGcManager({
    images: {
      listImages: async () => images.map((i) => ({ ...i })),
      removeImage: async (d) => {
        removed.push(d);
        const [gone] = images.splice(images.findIndex((i) => i.digest === d), 1);
        fs.availableBytes += gone!.sizeBytes;
      },
    },
    runtime: { list: async () => ({ sandboxes: [], containers: inUse.map((d) => ({ imageDigest: d }) as ContainerStatus) }) },
    fsStats: async () => ({ ...fs }),
    policy: o.policy,
    now: () => now,
    warn: (reason, message) => warnings.push([reason, message]),
    log: { info: () => {} },
  });
  return {
    gc, removed, warnings, fs, images,
    advance: (ms: number) => (now += ms),
    use: (d: string[]) => (inUse = d),
    add: (i: GcImage) => images.push(i),
  };
}

test('under the high threshold nothing is removed', async () => {
  const h = harness({ images: [{ digest: 'sha256:a', sizeBytes: 50 * MB }], available: 200 * MB }); // 80 % used
  const r = await h.gc.garbageCollect();
  assert.equal(r.usagePercent, 80);
  assert.deepEqual(h.removed, []);
});

test('over the high threshold: unused images go, least recently used first, down to the low threshold; used ones stay', async () => {
  // 90 % used: free 1000*20% - 100 = 100 MB.
  const h = harness({
    images: [{ digest: 'sha256:old', sizeBytes: 60 * MB }, { digest: 'sha256:used', sizeBytes: 500 * MB }, { digest: 'sha256:recent', sizeBytes: 60 * MB }, { digest: 'sha256:spare', sizeBytes: 60 * MB }],
    inUse: ['sha256:old', 'sha256:recent'],
  });
  await h.gc.detect(); // old and recent used now…
  h.advance(60_000);
  h.use(['sha256:recent']); // …recent still, old no longer
  await h.gc.detect();
  h.use(['sha256:used']);
  h.advance(60_000);
  const r = await h.gc.garbageCollect();
  // spare was never used (lastUsed 0) → first; then old (used 2 min ago) before recent (1 min ago); 120 MB ≥ 100 MB.
  assert.deepEqual(r.removed, ['sha256:spare', 'sha256:old']);
  assert.equal(r.freedBytes, 120 * MB);
  assert.deepEqual(h.warnings, []);
});

test('an image detected less than the minimum age ago is kept, and not freeing enough is FreeDiskSpaceFailed', async () => {
  const h = harness({ images: [{ digest: 'sha256:a', sizeBytes: 10 * MB }] });
  await h.gc.detect(); // startup: a counts as old
  h.add({ digest: 'sha256:fresh', sizeBytes: 500 * MB });
  await h.gc.detect();
  h.advance(60_000); // fresh is 1 min old < 2 min
  await assert.rejects(h.gc.garbageCollect(), /Failed to garbage collect required amount of images\. Attempted to free 104857600 bytes, but only found 10485760 bytes eligible to free\./);
  assert.deepEqual(h.removed, ['sha256:a']);
  assert.equal(h.warnings[0]![0], 'FreeDiskSpaceFailed');
  h.advance(60_000);
  await h.gc.garbageCollect();
  assert.deepEqual(h.removed, ['sha256:a', 'sha256:fresh']);
});

test('zero capacity is InvalidDiskCapacity; thresholds are validated as the kubelet does', async () => {
  const h = harness({ images: [], capacity: 0, available: 0 });
  await assert.rejects(h.gc.garbageCollect(), /invalid capacity 0 on image filesystem/);
  assert.equal(h.warnings[0]![0], 'InvalidDiskCapacity');
  assert.match(imageGcPolicyError({ highThresholdPercent: 80, lowThresholdPercent: 85, minAgeMs: 0 })!, /imageGCLowThresholdPercent \(--image-gc-low-threshold\) 85 must be less than imageGCHighThresholdPercent \(--image-gc-high-threshold\) 80/);
  assert.match(imageGcPolicyError({ highThresholdPercent: 101, lowThresholdPercent: 80, minAgeMs: 0 })!, /must be between 0 and 100, inclusive/);
  assert.throws(() => harness({ images: [], policy: { lowThresholdPercent: 90 } }), /must be less than/);
});
