import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditIdFor, sourceIPs } from './http.ts';

test('a client Audit-ID is kept when it is a plain token, else a new one is made', () => {
  const fresh = () => 'generated';
  assert.equal(auditIdFor('0b3c-trace', fresh), '0b3c-trace');
  assert.equal(auditIdFor(undefined, fresh), 'generated');
  assert.equal(auditIdFor('', fresh), 'generated');
  assert.equal(auditIdFor('has space', fresh), 'generated');
  assert.equal(auditIdFor('x'.repeat(129), fresh), 'generated');
});

test('source IPs: X-Forwarded-For, X-Real-Ip, then the peer unless it is already last', () => {
  assert.deepEqual(sourceIPs({}, '127.0.0.1'), ['127.0.0.1']);
  assert.deepEqual(sourceIPs({ 'x-forwarded-for': '1.2.3.4, 10.0.0.1', 'x-real-ip': '10.0.0.2' }, '::ffff:127.0.0.1'), ['1.2.3.4', '10.0.0.1', '10.0.0.2', '127.0.0.1']);
  assert.deepEqual(sourceIPs({ 'x-forwarded-for': 'not-an-ip, 10.0.0.1' }, '10.0.0.1'), ['10.0.0.1']);
});
