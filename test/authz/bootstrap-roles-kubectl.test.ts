/**
 * Upstream's bootstrap Roles and RoleBindings in kube-system and kube-public (bootstrappolicy
 * NamespaceRoles / NamespaceRoleBindings) are reconciled at start and listed by kubectl as on a
 * kubeadm cluster.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadBootstrapPolicy } from '../../src/authz/rbac/bootstrap.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip } from '../helpers/kubectl.ts';
import { kubectlSession } from '../helpers/kubectl-session.ts';

const MINOR = 33;
const skip = kubectlSkip(MINOR);
let c: TestCluster | undefined;
before(async () => {
  if (!skip) c = await startTestCluster();
});
after(async () => {
  await c?.close();
});
const { kubectl, json } = kubectlSession(MINOR, () => join(c!.dataDir, 'admin.kubeconfig'));

/** The NAME column of `kubectl get KIND -n NS`. */
async function names(kind: string, ns: string): Promise<string[]> {
  const out = (await kubectl(['get', kind, '-n', ns])).stdout.trim().split('\n');
  assert.match(out[0]!, /^NAME\s+/);
  return out.slice(1).map((l) => l.split(/\s+/)[0]!);
}

test('kubectl get role / rolebinding -n kube-system and -n kube-public list upstream\'s bootstrap objects', { skip }, async () => {
  assert.deepEqual(await names('role', 'kube-system'), [
    'extension-apiserver-authentication-reader',
    'system::leader-locking-kube-controller-manager',
    'system::leader-locking-kube-scheduler',
    'system:controller:bootstrap-signer',
    'system:controller:cloud-provider',
    'system:controller:token-cleaner',
  ]);
  assert.deepEqual(await names('rolebinding', 'kube-system'), [
    'system::extension-apiserver-authentication-reader',
    'system::leader-locking-kube-controller-manager',
    'system::leader-locking-kube-scheduler',
    'system:controller:bootstrap-signer',
    'system:controller:cloud-provider',
    'system:controller:token-cleaner',
  ]);
  assert.deepEqual(await names('role', 'kube-public'), ['system:controller:bootstrap-signer']);
  assert.deepEqual(await names('rolebinding', 'kube-public'), ['system:controller:bootstrap-signer']);
  // The served objects carry the policy's rules and subjects (reconcile wrote them as given).
  const policy = loadBootstrapPolicy();
  const served = await json(['get', 'role', 'system::leader-locking-kube-scheduler', '-n', 'kube-system']);
  assert.deepEqual(served.rules, policy.roles.find((r) => r.metadata.name === 'system::leader-locking-kube-scheduler')!.rules);
  const binding = await json(['get', 'rolebinding', 'system:controller:bootstrap-signer', '-n', 'kube-public']);
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'bootstrap-signer', namespace: 'kube-system' }]);
  assert.equal(binding.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
});
