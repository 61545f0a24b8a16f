import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupMemoryLimit } from './host-info.ts';
import { pullPolicy } from './image-pull.ts';

test('the memory cgroup limit from /proc/self/cgroup (v1 and v2); "no limit" is none', () => {
  const files: Record<string, string> = {
    '/sys/fs/cgroup/memory/a/memory.limit_in_bytes': '1073741824',
    '/sys/fs/cgroup/memory/b/memory.limit_in_bytes': '9223372036854771712',
    '/sys/fs/cgroup/c/memory.max': '536870912',
    '/sys/fs/cgroup/d/memory.max': 'max',
  };
  const read = (p: string) => files[p] ?? '';
  assert.equal(cgroupMemoryLimit('4:memory:/a\n1:cpu:/\n', read), 1073741824n);
  assert.equal(cgroupMemoryLimit('4:memory:/b\n', read), undefined);
  assert.equal(cgroupMemoryLimit('0::/c\n', read), 536870912n);
  assert.equal(cgroupMemoryLimit('0::/d\n', read), undefined);
});

test('image pull policy defaults', () => {
  assert.equal(pullPolicy({ name: 'c', image: 'busybox' }), 'Always');
  assert.equal(pullPolicy({ name: 'c', image: 'busybox:latest' }), 'Always');
  assert.equal(pullPolicy({ name: 'c', image: 'localhost:5000/busybox' }), 'Always');
  assert.equal(pullPolicy({ name: 'c', image: 'busybox:1.36' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'c', image: 'busybox@sha256:ab' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'c', image: 'busybox:1', imagePullPolicy: 'Never' }), 'Never');
});
