import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionResponse, BadReview, parseAdmissionReview } from './admission-review.ts';

const review = (request: unknown, apiVersion = 'admission.k8s.io/v1') => JSON.stringify({ apiVersion, kind: 'AdmissionReview', request });
const request = {
  uid: 'u1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  namespace: 'team',
  name: 'p',
  operation: 'CREATE',
  userInfo: { username: 'alice', groups: ['dev'], extra: { scopes: ['a'] } },
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
  oldObject: null,
  dryRun: true,
};

test('a v1 and a v1beta1 review are read into admission attributes', () => {
  for (const v of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    const r = parseAdmissionReview(review(request, v));
    assert.equal(r.apiVersion, v);
    assert.equal(r.uid, 'u1');
    assert.deepEqual(r.attributes.kind, { group: '', version: 'v1', kind: 'Pod' });
    assert.deepEqual(r.attributes.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(r.attributes.namespace, 'team');
    assert.equal(r.attributes.operation, 'CREATE');
    assert.deepEqual(r.attributes.user, { username: 'alice', groups: ['dev'], extra: { scopes: ['a'] } });
    assert.equal(r.attributes.oldObject, undefined);
    assert.equal(r.attributes.dryRun, true);
  }
});

test('what is not a review is a BadReview naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['{', /^Request could not be decoded: /],
    ['[]', /not a JSON object/],
    [JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }), /^Unsupported group version kind: \/v1, Kind=Pod \(expected AdmissionReview of admission.k8s.io\/v1 or admission.k8s.io\/v1beta1\)$/],
    [review(undefined), /AdmissionReview.request is required/],
    [review({ ...request, uid: '' }), /request.uid is required/],
    [review({ ...request, operation: 'PATCH' }), /request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got "PATCH"/],
    [review({ ...request, kind: undefined }), /request.kind is required/],
    [review({ ...request, resource: { group: '', version: 'v1' } }), /request.resource.resource is required/],
    [review({ ...request, object: 'x' }), /request.object must be an object/],
    [review({ ...request, userInfo: { groups: [1] } }), /request.userInfo.groups must be a list of strings/],
  ];
  for (const [body, re] of cases) assert.throws(() => parseAdmissionReview(body), (e: unknown) => e instanceof BadReview && re.test(e.message), body);
});

test('the response: a denial with a Failure status, a patch base64 JSONPatch, warnings and annotations', () => {
  const deny = admissionResponse({ apiVersion: 'admission.k8s.io/v1', uid: 'u1' }, { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no' }, warnings: ['w'], auditAnnotations: { k: 'v' } });
  assert.deepEqual(deny, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: false, status: { metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden', message: 'no' }, auditAnnotations: { k: 'v' }, warnings: ['w'] } });
  const patch = [{ op: 'replace', path: '/spec/containers/0/image', value: 'x@sha256:00' }];
  const allow = admissionResponse({ apiVersion: 'admission.k8s.io/v1beta1', uid: 'u2' }, { allowed: true, patch }).response as Record<string, unknown>;
  assert.equal(allow.patchType, 'JSONPatch');
  assert.deepEqual(JSON.parse(Buffer.from(String(allow.patch), 'base64').toString()), patch);
  assert.equal(allow.status, undefined);
});
