import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyChecker } from './checker.ts';
import { microTime, RequestAudit } from './request-audit.ts';
import type { AuditEvent, PolicyRule } from './types.ts';
import type { RequestInfo } from '../server/request-info.ts';

const info: RequestInfo = { isResourceRequest: true, path: '/api/v1/namespaces/ns/configmaps', verb: 'create', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: 'ns', resource: 'configmaps', subresource: '', name: '', parts: [] };
const alice = { username: 'alice', uid: 'u1', groups: ['dev', 'system:authenticated'] };

function record(rules: PolicyRule[], omitStages?: Array<'RequestReceived'>): { rec: RequestAudit; out: AuditEvent[] } {
  const out: AuditEvent[] = [];
  let t = Date.UTC(2026, 11, 6) + 0.25;
  const rec = new RequestAudit(
    { checker: new PolicyChecker({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules, omitStages }), clock: () => (t += 1.5), emit: (e) => out.push(e) },
    { auditID: 'a1', requestURI: '/api/v1/namespaces/ns/configmaps?fieldManager=x', sourceIPs: ['10.0.0.1', '127.0.0.1'], userAgent: 'kubectl/v1.33' },
  );
  rec.setInfo(info);
  return { rec, out };
}

test('records snapshot each stage; later changes do not alter records already emitted', () => {
  const { rec, out } = record([{ level: 'RequestResponse' }]);
  rec.authenticated(alice);
  rec.annotate({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'r' });
  rec.setRequestObject({ metadata: { managedFields: [1] }, data: { a: '1' } });
  rec.setResponseObject({ metadata: { name: 'gen-x', uid: 'u' } });
  rec.complete(201);
  rec.complete(500);
  assert.deepEqual(out.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
  assert.equal(out[0]!.annotations, undefined, 'RequestReceived came before authorization');
  assert.deepEqual(out[1], {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', auditID: 'a1', stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/ns/configmaps?fieldManager=x', verb: 'create', user: { username: 'alice', uid: 'u1', groups: ['dev', 'system:authenticated'] },
    sourceIPs: ['10.0.0.1', '127.0.0.1'], userAgent: 'kubectl/v1.33', objectRef: { resource: 'configmaps', namespace: 'ns', name: 'gen-x', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 }, requestObject: { metadata: { managedFields: [1] }, data: { a: '1' } }, responseObject: { metadata: { name: 'gen-x', uid: 'u' } },
    requestReceivedTimestamp: '2026-12-06T00:00:00.001750Z', stageTimestamp: '2026-12-06T00:00:00.004750Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'r' },
  });
});

test('Metadata keeps no objects; omitStages and omitManagedFields are honoured; None emits nothing', () => {
  const m = record([{ level: 'Metadata' }], ['RequestReceived']);
  m.rec.authenticated(alice);
  m.rec.setRequestObject({ a: 1 });
  m.rec.setResponseObject({ metadata: { name: 'n' } });
  m.rec.complete(201);
  assert.deepEqual(m.out.map((e) => [e.stage, e.requestObject, e.responseObject, e.objectRef?.name]), [['ResponseComplete', undefined, undefined, 'n']]);

  const r = record([{ level: 'Request', omitManagedFields: true }]);
  r.rec.authenticated(alice);
  r.rec.setRequestObject({ metadata: { name: 'x', managedFields: [{}] } });
  r.rec.complete(201);
  assert.deepEqual(r.out[1]!.requestObject, { metadata: { name: 'x' } });

  const n = record([{ level: 'None' }]);
  n.rec.authenticated(alice);
  n.rec.annotate({ k: 'v' });
  n.rec.complete(200);
  assert.equal(n.out.length, 0);
});

test('annotations: the first value of a key wins; admission annotations join at each stage', () => {
  const { rec, out } = record([{ level: 'Metadata' }]);
  rec.authenticated(alice);
  const admission = { auditAnnotations: {} as Record<string, string> };
  rec.useAdmission(admission);
  rec.annotate({ k: 'first' });
  rec.annotate({ k: 'second' });
  // A key Object.prototype also has is an annotation like any other.
  rec.annotate({ constructor: 'c' });
  admission.auditAnnotations['pod-security.kubernetes.io/enforce-policy'] = 'restricted:latest';
  rec.complete(201);
  assert.deepEqual(out[1]!.annotations, { k: 'first', constructor: 'c', 'pod-security.kubernetes.io/enforce-policy': 'restricted:latest' });
});

test('a failed authentication is one ResponseStarted record with no user, matched by rules without users', () => {
  const { rec, out } = record([{ level: 'None', users: ['alice'] }, { level: 'Metadata' }]);
  rec.authenticationFailed('Authentication failed, no credentials provided');
  rec.complete(401);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.stage, 'ResponseStarted');
  assert.deepEqual(out[0]!.user, {});
  assert.deepEqual(out[0]!.responseStatus, { metadata: {}, message: 'Authentication failed, no credentials provided', code: 401 });
});

test('TokenReview tokens and issued TokenRequest tokens are redacted', () => {
  const { rec, out } = record([{ level: 'RequestResponse' }]);
  rec.setInfo({ ...info, apiGroup: 'authentication.k8s.io', resource: 'tokenreviews', namespace: '' });
  rec.authenticated(alice);
  rec.setRequestObject({ spec: { token: 'abc.def.ghi', audiences: ['x'] } });
  rec.setResponseObject({ spec: { token: 'abc.def.ghi' }, status: { authenticated: true } });
  rec.complete(201);
  assert.deepEqual(out[1]!.requestObject, { spec: { token: '<redacted>', audiences: ['x'] } });
  assert.deepEqual((out[1]!.responseObject as any).spec, { token: '<redacted>' });
  assert.ok(!JSON.stringify(out).includes('abc.def.ghi'));

  const t = record([{ level: 'RequestResponse' }]);
  t.rec.setInfo({ ...info, resource: 'serviceaccounts', subresource: 'token', name: 'default' });
  t.rec.authenticated(alice);
  t.rec.setResponseObject({ status: { token: 'jwt-secret', expirationTimestamp: 'x' } });
  t.rec.complete(201);
  assert.deepEqual((t.out[1]!.responseObject as any).status, { token: '<redacted>', expirationTimestamp: 'x' });
});

test('microTime is RFC 3339 with six fractional digits in UTC', () => {
  assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 6) + 0.789), '2026-01-02T03:04:05.006789Z');
  assert.equal(microTime(Date.UTC(2026, 0, 2)), '2026-01-02T00:00:00.000000Z');
});

test('Panic: an unexpected failure is one Panic record with a 500 instead of ResponseComplete', () => {
  const { rec, out } = record([{ level: 'Metadata' }]);
  rec.authenticated(alice);
  rec.panic('boom');
  rec.complete(500);
  assert.deepEqual(out.map((e) => e.stage), ['RequestReceived', 'Panic']);
  assert.deepEqual(out[1]!.responseStatus, { metadata: {}, status: 'Failure', message: 'boom', reason: 'InternalError', code: 500 });
});

test('a connection closed before any answer completes the record without a code', () => {
  const { rec, out } = record([{ level: 'Metadata' }]);
  rec.authenticated(alice);
  rec.complete(0);
  assert.deepEqual(out[1]!.responseStatus, { metadata: {}, status: 'Failure', message: 'the connection closed before an answer was sent' });
});
