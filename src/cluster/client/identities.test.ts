import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerIdentity, nodeIdentity, serviceAccountIdentity } from './identities.ts';

test('component identities carry upstream users and groups; bad names are refused', () => {
  assert.deepEqual(controllerIdentity('job-controller'), { user: 'system:serviceaccount:kube-system:job-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] });
  assert.deepEqual(nodeIdentity('n1.example'), { user: 'system:node:n1.example', groups: ['system:nodes'] });
  assert.throws(() => serviceAccountIdentity('a:b'), /invalid service account name/);
  assert.throws(() => nodeIdentity('Node_1'), /invalid node name/);
});
