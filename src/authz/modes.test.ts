import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuthorizationModes } from './modes.ts';

test('authorization modes: default, order kept, unknown and repeated names refused', () => {
  assert.deepEqual(parseAuthorizationModes([]), ['Node', 'RBAC']);
  assert.deepEqual(parseAuthorizationModes(['RBAC', 'Webhook', 'ABAC']), ['RBAC', 'Webhook', 'ABAC']);
  assert.throws(() => parseAuthorizationModes(['RBAC', 'Magic']), /unknown mode "Magic"/);
  assert.throws(() => parseAuthorizationModes(['RBAC', 'RBAC']), /given twice/);
});
