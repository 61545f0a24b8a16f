import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { AlwaysPullImages } from './always-pull-images.ts';
import { podAttrs } from '../webhook/test-support.ts';

const pod = (policies: (string | undefined)[], images = policies.map((_, i) => `img${i}`)) => ({
  metadata: { name: 'p' },
  spec: {
    initContainers: [{ name: 'i', image: images[0], imagePullPolicy: policies[0] }],
    containers: [{ name: 'c', image: images[1], imagePullPolicy: policies[1] }],
    ephemeralContainers: [{ name: 'e', image: images[2], imagePullPolicy: policies[2] }],
  },
});

test('admit sets Always on init, regular and ephemeral containers', async () => {
  const a = podAttrs({ object: pod(['IfNotPresent', undefined, 'Never']) });
  await new AlwaysPullImages().admit(a);
  const s = a.object!.spec;
  assert.deepEqual([s.initContainers[0].imagePullPolicy, s.containers[0].imagePullPolicy, s.ephemeralContainers[0].imagePullPolicy], ['Always', 'Always', 'Always']);
});

test('validate refuses a container that does not pull always, as upstream words it', async () => {
  const chain = new AdmissionChain([], [new AlwaysPullImages()]);
  await assert.rejects(chain.validate(podAttrs({ object: pod(['Always', 'IfNotPresent', 'Always']) }), emptyOutcome()), {
    message: 'pods "p" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always"',
  });
  await assert.rejects(new AlwaysPullImages().validate(podAttrs({ object: pod(['Never', 'IfNotPresent', 'Always']) })), { code: 403, message: /^\[pods "p" is forbidden: spec\.initContainers\[0\]\.imagePullPolicy: .*, pods "p" is forbidden: spec\.containers\[0\]/ });
  assert.equal((await new AlwaysPullImages().validate(podAttrs({ object: pod(['Always', 'Always', 'Always']) }))).allowed, true);
});

const handled: [string, Parameters<typeof podAttrs>[0], boolean][] = [
  ['pod create', {}, true],
  ['pod status', { subresource: 'status' }, false],
  ['a service', { resource: { group: '', version: 'v1', resource: 'services' } }, false],
  ['delete', { operation: 'DELETE', object: undefined }, false],
  ['update with the same images', { operation: 'UPDATE', object: pod(['IfNotPresent', 'IfNotPresent', 'IfNotPresent']), oldObject: pod(['Always', 'Always', 'Always']) }, false],
  ['update with a new image', { operation: 'UPDATE', object: pod(['IfNotPresent', 'IfNotPresent', 'IfNotPresent'], ['a', 'new', 'c']), oldObject: pod(['Always', 'Always', 'Always'], ['a', 'b', 'c']) }, true],
];
for (const [what, over, want] of handled) {
  test(`handles ${what}: ${want}`, () => assert.equal(new AlwaysPullImages().handles(podAttrs(over)), want));
}
