import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** A stored value that is not a Kubernetes object reads as database corruption, naming the key. */
let c: TestCluster;
before(async () => {
  c = await startTestCluster();
  await c.settled();
  await c.cp.store.create('/registry/core/configmaps/corrupt/not-an-object', 'not an object');
  await c.cp.store.create('/registry/core/configmaps/corrupt/no-metadata', { data: { a: 'b' } });
});
after(() => c.close());

for (const name of ['not-an-object', 'no-metadata']) {
  test(`GET and LIST over a stored ${name} value: 500 "database corrupt" naming the key, not a crash or a made-up object`, async () => {
    for (const path of [`/api/v1/namespaces/corrupt/configmaps/${name}`, '/api/v1/namespaces/corrupt/configmaps']) {
      const r = await c.admin.get(path);
      assert.equal(r.status, 500, `${path}: ${r.text}`);
      assert.equal(r.body.reason, 'InternalError');
      assert.match(r.body.message, /database corrupt: the value at \/registry\/core\/configmaps\/corrupt\/(not-an-object|no-metadata) is not a Kubernetes object/);
    }
  });
}
