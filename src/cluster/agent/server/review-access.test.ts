import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient } from '../../client/types.ts';
import { subjectAccessReviewer } from './review-access.ts';

const attrs = { verb: 'get', resource: 'nodes' as const, subresource: 'proxy', name: 'n1' };

test('answers are kept as the kubelet keeps them: allowed 5 min, denied 30 s, failures not at all', async () => {
  let t = 0;
  let asked = 0;
  let allow = true;
  let fail = false;
  const client = { create: async (_r: unknown, _ns: string, body: { spec: { user: string } }) => {
    asked++;
    if (fail) throw new Error('connection refused');
    return { status: { allowed: allow && body.spec.user !== 'dev' } };
  } } as unknown as ApiClient;
  const review = subjectAccessReviewer(() => client, () => t);
  const admin = { username: 'kube-apiserver-kubelet-client', groups: ['kubelet-api-admin'] };
  for (let i = 0; i < 100; i++) assert.equal((await review(admin, attrs)).allowed, true);
  assert.equal(asked, 1, 'one review for 100 requests of the same user on the same subresource');
  await review(admin, { ...attrs, subresource: 'log' });
  assert.equal(asked, 2, 'another subresource is another question');
  allow = false;
  t += 5 * 60_000 - 1;
  assert.equal((await review(admin, attrs)).allowed, true, 'still the kept answer');
  t += 1;
  assert.equal((await review(admin, attrs)).allowed, false, 'asked again after 5 min: now denied');
  const dev = { username: 'dev', groups: [] };
  await review(dev, attrs);
  await review(dev, attrs);
  const afterDenied = asked;
  t += 30_000;
  await review(dev, attrs);
  assert.equal(asked, afterDenied + 1, 'a denial is asked again after 30 s');
  fail = true;
  const before = asked;
  const other = { username: 'other', groups: [] };
  assert.equal((await review(other, attrs)).allowed, false);
  fail = false;
  await review(other, attrs);
  assert.equal(asked, before + 2, 'a failed review is not kept');
});
