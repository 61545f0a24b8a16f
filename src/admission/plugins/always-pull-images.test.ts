import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { AlwaysPullImages } from './always-pull-images.ts';
import { podAttrs } from '../webhook/test-support.ts';
import { ApiError } from '../../api/errors.ts';
import { statusFromError } from '../../server/status.ts';

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
  // One error: NewAggregate prints it bare; the aggregate is no APIStatus, so upstream's handler
  // answers 500 with no reason (responsewriters.ErrorToAPIStatus), not 403.
  await assert.rejects(chain.validate(podAttrs({ object: pod(['Always', 'IfNotPresent', 'Always']) }), emptyOutcome()), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.message, 'pods "p" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always"');
    assert.deepEqual(statusFromError(e), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, code: 500 });
    return true;
  });
  // Several: one Forbidden each, in brackets.
  await assert.rejects(new AlwaysPullImages().validate(podAttrs({ object: pod(['Never', 'IfNotPresent', 'Always']) })), {
    code: 500,
    message: '[pods "p" is forbidden: spec.initContainers[0].imagePullPolicy: Unsupported value: "Never": supported values: "Always", pods "p" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always"]',
  });
  assert.equal((await new AlwaysPullImages().validate(podAttrs({ object: pod(['Always', 'Always', 'Always']) }))).allowed, true);
});

test('a create not yet named is named by its generateName, as admission.NewForbidden does', async () => {
  const object = { ...pod(['Always', undefined, 'Always']), metadata: { generateName: 'web-' } };
  await assert.rejects(new AlwaysPullImages().validate(podAttrs({ name: '', object })), { message: 'pods "web-" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "": supported values: "Always"' });
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
