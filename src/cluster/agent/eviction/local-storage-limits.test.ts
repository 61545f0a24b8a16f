import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isCriticalPod, localStorageEvictionMessage, storageLimits, type PodStorageUsage } from './local-storage-limits.ts';

const Mi = 1024 * 1024;
const es = (v: string) => ({ limits: { 'ephemeral-storage': v } });
const usage = (u: Partial<PodStorageUsage>): PodStorageUsage => ({ volumes: new Map(), containers: [], ...u });

test('pods without a limit have nothing to check', () => {
  assert.equal(storageLimits({ spec: { containers: [{ name: 'a', resources: { limits: { memory: '1Gi' } } }], volumes: [{ name: 'v', emptyDir: {} }, { name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }] } }), undefined);
});

test('a container over its own limit (writable layer + logs) is evicted with upstream message; under or at it is not', () => {
  const pod: Pod = { spec: { containers: [{ name: 'app', resources: es('2Mi') }, { name: 'side' }] } };
  const limits = storageLimits(pod)!;
  assert.equal(limits.containers.get('app')?.text, '2Mi');
  // The pod limit is PodLimits' sum: present as one container sets it.
  assert.equal(limits.pod?.text, '2Mi');
  const over = usage({ total: 2 * Mi + 4096, containers: [{ name: 'side', bytes: 10 * Mi }, { name: 'app', bytes: 2 * Mi + 4096 }] });
  // The pod check comes first in upstream's order, and the pod total is over too.
  assert.equal(localStorageEvictionMessage(limits, over), 'Pod ephemeral local storage usage exceeds the total limit of containers 2Mi. ');
  const onlyContainer = usage({ total: 0, containers: [{ name: 'app', bytes: 2 * Mi + 1 }] });
  assert.equal(localStorageEvictionMessage(limits, onlyContainer), 'Container app exceeded its local ephemeral storage limit "2Mi". ');
  assert.equal(localStorageEvictionMessage(limits, usage({ total: 2 * Mi, containers: [{ name: 'app', bytes: 2 * Mi }, { name: 'side', bytes: 0 }] })), undefined, 'at the limit is within it');
  assert.equal(localStorageEvictionMessage(limits, usage({ total: Mi, containers: [{ name: 'app', bytes: Mi }] })), undefined);
});

test('the pod total is checked against the containers sum (plus init max and overhead), printed as Quantity.String()', () => {
  const pod: Pod = {
    spec: {
      containers: [{ name: 'a', resources: es('1Gi') }, { name: 'b', resources: es('512Mi') }],
      initContainers: [{ name: 'init', resources: es('100Mi') }],
      overhead: { 'ephemeral-storage': '512Mi' },
    },
  };
  const limits = storageLimits(pod)!;
  assert.equal(limits.pod?.text, '2Gi');
  const msg = 'Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. ';
  assert.equal(localStorageEvictionMessage(limits, usage({ total: 2048 * Mi + 1, containers: [{ name: 'a', bytes: Mi }, { name: 'b', bytes: Mi }] })), msg);
  assert.equal(localStorageEvictionMessage(limits, usage({ total: 2048 * Mi, containers: [{ name: 'a', bytes: Mi }] })), undefined);
  // A large init container raises the pod's limit as PodLimits does.
  const big = storageLimits({ spec: { containers: [{ name: 'a', resources: es('1M') }], initContainers: [{ name: 'i', resources: es('3M') }] } })!;
  assert.equal(big.pod?.text, '3M');
  assert.equal(big.containers.get('a')?.text, '1M');
  assert.equal(big.containers.has('i'), false, 'only spec.containers have a container check');
});

test('an emptyDir over its sizeLimit is checked first; memory ones and zero limits are not', () => {
  const pod: Pod = {
    spec: {
      containers: [{ name: 'app', resources: es('1Gi') }],
      volumes: [{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Ki' } }, { name: 'zero', emptyDir: { sizeLimit: '0' } }, { name: 'scratch', emptyDir: { sizeLimit: '1024Ki' } }],
    },
  };
  const limits = storageLimits(pod)!;
  assert.deepEqual(limits.emptyDirs.map((e) => e.name), ['scratch']);
  const u = usage({ volumes: new Map([['scratch', 2 * Mi], ['mem', 5 * Mi]]), total: 2 * Mi, containers: [{ name: 'app', bytes: 2 * Gi() }] });
  assert.equal(localStorageEvictionMessage(limits, u), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
  assert.equal(localStorageEvictionMessage(limits, usage({ volumes: new Map([['scratch', Mi]]), total: Mi, containers: [{ name: 'app', bytes: Mi }] })), undefined);
  // Not measured (not set up yet): nothing to judge.
  assert.equal(localStorageEvictionMessage(limits, usage({ total: 0 })), undefined);
});

test('a fractional limit compares exactly; critical pods are recognised', () => {
  const limits = storageLimits({ spec: { containers: [{ name: 'a', resources: es('1500m') }] } })!;
  assert.equal(localStorageEvictionMessage(limits, usage({ total: 1, containers: [{ name: 'a', bytes: 1 }] })), undefined);
  assert.equal(localStorageEvictionMessage(limits, usage({ total: 0, containers: [{ name: 'a', bytes: 2 }] })), 'Container a exceeded its local ephemeral storage limit "1500m". ');
  assert.equal(isCriticalPod({ spec: { containers: [], priority: 2_000_001_000 } }), true);
  // Any client may write the mirror annotation; the agent runs no static pods for it to mirror.
  assert.equal(isCriticalPod({ metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { containers: [] } }), false);
  assert.equal(isCriticalPod({ spec: { containers: [], priority: 1_000_000_000 } }), false);
});

function Gi(): number {
  return 1024 * Mi;
}
