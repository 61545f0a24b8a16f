import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient } from '../../client/fake.ts';
import { ApiStatusError } from '../../client/errors.ts';
import type { K8sObject } from '../../client/types.ts';
import { STATEFUL_SETS } from './resources.ts';
import { writeStatus } from './status.ts';

const conflict = () => new ApiStatusError(409, 'Conflict', 'Operation cannot be fulfilled on statefulsets.apps "web": the object has been modified; please apply your changes to the latest version and try again');

async function withSet(): Promise<{ client: FakeApiClient; set: K8sObject }> {
  const client = new FakeApiClient();
  const set = await client.create<K8sObject>(STATEFUL_SETS, 'default', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3 } } as K8sObject);
  return { client, set };
}

test('the status write is retried on Conflict as UpdateStatefulSetStatus (RetryOnConflict, DefaultRetry: 5 tries), on a fresh read', async () => {
  const { client, set } = await withSet();
  let conflicts = 4;
  client.addReactor((a) => (a.verb === 'update' && conflicts-- > 0 ? conflict() : undefined));
  await writeStatus(client, STATEFUL_SETS, set, { replicas: 3, readyReplicas: 2 });
  assert.equal(client.actions.filter((a) => a.verb === 'update').length, 5);
  assert.equal(client.actions.filter((a) => a.verb === 'get').length, 4, 'read again before each retry');
  const got = await client.get<K8sObject>(STATEFUL_SETS, 'default', 'web');
  assert.deepEqual({ replicas: got.status.replicas, readyReplicas: got.status.readyReplicas }, { replicas: 3, readyReplicas: 2 });
});

test('a fifth Conflict is returned; other errors are not retried', async () => {
  const { client, set } = await withSet();
  client.addReactor((a) => (a.verb === 'update' ? conflict() : undefined));
  await assert.rejects(writeStatus(client, STATEFUL_SETS, set, { replicas: 3 }), (e: ApiStatusError) => e.code === 409);
  assert.equal(client.actions.filter((a) => a.verb === 'update').length, 5);

  const other = await withSet();
  other.client.addReactor((a) => (a.verb === 'update' ? new ApiStatusError(403, 'Forbidden', 'no') : undefined));
  await assert.rejects(writeStatus(other.client, STATEFUL_SETS, other.set, { replicas: 3 }), (e: ApiStatusError) => e.code === 403);
  assert.equal(other.client.actions.filter((a) => a.verb === 'update').length, 1);
});
