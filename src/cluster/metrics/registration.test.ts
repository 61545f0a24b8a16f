import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient } from '../client/fake.ts';
import { ApiStatusError } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { applyObject } from './registration.ts';

const cm = (data: Record<string, string>): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'kube-system' }, data } as K8sObject);
const noWait = async () => {};

test('applyObject: an update that meets a Conflict reads the object again and retries (RetryOnConflict)', async () => {
  const client = new FakeApiClient();
  await client.create(resources.configmaps, 'kube-system', cm({ other: 'writer' }));
  let conflicts = 1;
  client.addReactor((a) => (a.verb === 'update' && conflicts-- > 0 ? new ApiStatusError(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again') : undefined));
  const seen: string[] = [];
  await applyObject(client, resources.configmaps, 'kube-system', cm({ mine: 'yes' }), (cur) => {
    seen.push(JSON.stringify(cur.data));
    return { ...cur, data: { ...(cur.data as Record<string, string>), mine: 'yes' } } as K8sObject;
  }, noWait);
  assert.equal(client.actions.filter((a) => a.verb === 'get').length, 2, 'read again after the conflict');
  assert.equal(seen.length, 2, 'merged twice: once per read');
  const got = await client.get(resources.configmaps, 'kube-system', 'c');
  assert.deepEqual(got.data, { other: 'writer', mine: 'yes' });
});

test('applyObject: a create that meets AlreadyExists updates the object another writer made', async () => {
  const client = new FakeApiClient();
  let first = true;
  client.addReactor((a) => {
    if (a.verb === 'create' && first) {
      first = false;
      void client.create(resources.configmaps, 'kube-system', cm({ other: 'writer' }));
      return new ApiStatusError(409, 'AlreadyExists', 'configmaps "c" already exists');
    }
    return undefined;
  });
  await applyObject(client, resources.configmaps, 'kube-system', cm({ mine: 'yes' }), (cur) => ({ ...cur, data: { mine: 'yes' } }) as K8sObject, noWait);
  assert.deepEqual((await client.get(resources.configmaps, 'kube-system', 'c')).data, { mine: 'yes' });
});

test('applyObject: conflicts without end give up after 5 tries; other errors are not retried', async () => {
  const client = new FakeApiClient();
  await client.create(resources.configmaps, 'kube-system', cm({}));
  const off = client.addReactor((a) => (a.verb === 'update' ? new ApiStatusError(409, 'Conflict', 'modified') : undefined));
  await assert.rejects(applyObject(client, resources.configmaps, 'kube-system', cm({}), (cur) => cur, noWait), (e: ApiStatusError) => e.code === 409);
  assert.equal(client.actions.filter((a) => a.verb === 'update').length, 5);
  off();
  client.addReactor((a) => (a.verb === 'update' ? new ApiStatusError(403, 'Forbidden', 'no') : undefined));
  const before = client.actions.length;
  await assert.rejects(applyObject(client, resources.configmaps, 'kube-system', cm({}), (cur) => cur, noWait), (e: ApiStatusError) => e.code === 403);
  assert.equal(client.actions.slice(before).filter((a) => a.verb === 'update').length, 1);
});
