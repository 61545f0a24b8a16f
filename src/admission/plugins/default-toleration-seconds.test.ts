import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultTolerationSeconds } from './default-toleration-seconds.ts';
import { podAttrs } from '../webhook/test-support.ts';

const notReady = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const custom = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 };

const cases: [string, unknown[] | undefined, unknown[]][] = [
  ['none: both added', undefined, [notReady, unreachable]],
  ['own not-ready kept, unreachable added', [custom], [custom, unreachable]],
  ['a toleration of every taint needs nothing', [{ operator: 'Exists' }], [{ operator: 'Exists' }]],
  ['NoSchedule does not count', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }],
    [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, notReady, unreachable]],
  ['any effect of the key counts', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }], [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, notReady]],
];

for (const [what, tolerations, want] of cases) {
  test(what, async () => {
    const a = podAttrs({ object: { metadata: { name: 'p' }, spec: tolerations ? { tolerations } : {} } });
    await new DefaultTolerationSeconds().admit(a);
    assert.deepEqual(a.object!.spec.tolerations, want);
  });
}

test('the seconds are configurable', async () => {
  const a = podAttrs({ object: { metadata: { name: 'p' }, spec: {} } });
  await new DefaultTolerationSeconds(undefined, { notReadySeconds: 10, unreachableSeconds: 20 }).admit(a);
  assert.deepEqual(a.object!.spec.tolerations.map((t: { tolerationSeconds: number }) => t.tolerationSeconds), [10, 20]);
});

test('only pods proper are handled', () => {
  const p = new DefaultTolerationSeconds();
  assert.equal(p.handles(podAttrs({ subresource: 'binding' })), false);
  assert.equal(p.handles(podAttrs({ resource: { group: 'apps', version: 'v1', resource: 'deployments' } })), false);
});
