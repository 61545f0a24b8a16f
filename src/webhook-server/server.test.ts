import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadReview } from './admission-review.ts';
import { parseImageReview } from './server.ts';

const review = (spec: unknown) => JSON.stringify({ apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec });

test('an ImageReview spec is read as sent (empty parts left out, as Go omits them)', () => {
  assert.deepEqual(parseImageReview(review({ containers: [{ image: 'a:1' }, {}], annotations: { 'x.image-policy.k8s.io/y': 'z' }, namespace: 'team' })), { containers: [{ image: 'a:1' }, {}], annotations: { 'x.image-policy.k8s.io/y': 'z' }, namespace: 'team' });
  assert.deepEqual(parseImageReview(review({ containers: [], annotations: {} })), {});
});

test('what is not an ImageReview is a BadReview', () => {
  for (const [body, re] of [
    ['nope', /^Request could not be decoded/],
    [JSON.stringify({ apiVersion: 'imagepolicy.k8s.io/v1', kind: 'ImageReview' }), /Unsupported group version kind: imagepolicy.k8s.io\/v1, Kind=ImageReview/],
    [review({ containers: [{ image: 1 }] }), /spec.containers must be a list of \{image: string\}/],
    [review({ annotations: { a: 1 } }), /spec.annotations must be a map of strings/],
    [review('x'), /spec must be an object/],
  ] as const) {
    assert.throws(() => parseImageReview(body), (e: unknown) => e instanceof BadReview && re.test(e.message), body);
  }
});
