import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { TokenManager } from './token-manager.ts';

function fakeClient(now: () => number) {
  const requests: K8sObject[] = [];
  let n = 0;
  const client = {
    async postSubresource(_r: unknown, ns: string, name: string, sub: string, body: K8sObject) {
      assert.equal(sub, 'token');
      requests.push({ ...body, ns, name } as K8sObject);
      n++;
      return { status: { token: `t${n}`, expirationTimestamp: new Date(now() + body.spec.expirationSeconds * 1000).toISOString() } };
    },
  } as unknown as ApiClient;
  return { client, requests };
}

const spec = { namespace: 'ns', serviceAccountName: 'sa', expirationSeconds: 3600, podName: 'p', podUid: 'u1' };

test('a token is requested bound to the pod, cached, and refreshed at 80 % of its life', async () => {
  let t = Date.parse('2024-01-01T00:00:00Z');
  const { client, requests } = fakeClient(() => t);
  const m = new TokenManager(client, () => t, () => 0);
  assert.equal(await m.get({ ...spec, audience: 'vault' }), 't1');
  assert.deepEqual(requests[0]!.spec, { audiences: ['vault'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' } });
  assert.equal(requests[0]!.name, 'sa');
  t += 2880_000 - 1000;
  assert.equal(await m.get({ ...spec, audience: 'vault' }), 't1', 'before 80 %: cached');
  t += 2000;
  assert.equal(await m.get({ ...spec, audience: 'vault' }), 't2', 'after 80 %: refreshed');
  assert.equal(await m.get(spec), 't3', 'another audience is another token');
  assert.equal(requests[2]!.spec.audiences, undefined, 'no audience: the server default');
  m.forgetPod('u1');
  assert.equal(m.size, 0);
});

test('a long-lived token is refreshed after 24 h; a failed refresh keeps the valid token', async () => {
  let t = 0;
  const { client } = fakeClient(() => t);
  const m = new TokenManager(client, () => t, () => 0);
  const long = { ...spec, expirationSeconds: 7 * 24 * 3600 };
  assert.equal(await m.get(long), 't1');
  t += 24 * 3600 * 1000 + 1;
  assert.equal(await m.get(long), 't2');
  (client as unknown as { postSubresource: () => Promise<never> }).postSubresource = async () => {
    throw new Error('down');
  };
  t += 24 * 3600 * 1000 + 1;
  assert.equal(await m.get(long), 't2', 'still valid: kept');
  await assert.rejects(m.get({ ...long, podUid: 'other' }), /down/);
});
