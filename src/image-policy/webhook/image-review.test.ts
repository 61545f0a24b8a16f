import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageReviewRequest, imageReviewSpec, parseImageReviewStatus } from './image-review.ts';

const pod = {
  metadata: { annotations: { 'z.image-policy.k8s.io/ticket': '42', 'a.image-policy.k8s.io/break-glass': 'true', 'image-policy.k8s.io/no-dot': 'x', 'other.example.com/x': 'y' } },
  spec: { containers: [{ name: 'a', image: 'app:1' }, { name: 'b', image: '' }], initContainers: [{ name: 'i', image: 'init:1' }], ephemeralContainers: [{ name: 'e', image: 'debug:1' }] },
};

test('the spec: containers then init containers, filtered annotations in key order, namespace', () => {
  const spec = imageReviewSpec(pod, 'ns1', '');
  assert.equal(JSON.stringify(spec), JSON.stringify({
    containers: [{ image: 'app:1' }, {}, { image: 'init:1' }],
    annotations: { 'a.image-policy.k8s.io/break-glass': 'true', 'z.image-policy.k8s.io/ticket': '42' },
    namespace: 'ns1',
  }));
});

test('pods/ephemeralcontainers reviews only the ephemeral containers; empty parts are left out', () => {
  assert.deepEqual(imageReviewSpec(pod, 'ns1', 'ephemeralcontainers').containers, [{ image: 'debug:1' }]);
  assert.deepEqual(imageReviewSpec({ spec: {} }, '', ''), {});
});

test('the request object as client-go encodes it', () => {
  assert.deepEqual(imageReviewRequest({ namespace: 'n' }), { apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', metadata: { creationTimestamp: null }, spec: { namespace: 'n' }, status: { allowed: false } });
});

test('answers: allowed, denied with a reason and audit annotations; anything else is an error', () => {
  assert.deepEqual(parseImageReviewStatus('{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","status":{"allowed":true}}'), { allowed: true });
  assert.deepEqual(parseImageReviewStatus('{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","status":{"allowed":false,"reason":"no","auditAnnotations":{"k":"v"}}}'), { allowed: false, reason: 'no', auditAnnotations: { k: 'v' } });
  assert.deepEqual(parseImageReviewStatus('{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview"}'), { allowed: false });
  assert.throws(() => parseImageReviewStatus('not json'), /not JSON/);
  assert.throws(() => parseImageReviewStatus('{"apiVersion":"v1","kind":"Status"}'), /expected kind ImageReview/);
  assert.throws(() => parseImageReviewStatus('{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","status":{"allowed":"yes"}}'), /allowed is not a boolean/);
  assert.throws(() => parseImageReviewStatus('{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","status":{"allowed":true,"auditAnnotations":{"k":1}}}'), /auditAnnotations/);
});
