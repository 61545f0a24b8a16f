import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime } from './runtime/fake.ts';
import { RuntimeIndex } from './runtime-index.ts';

const pod = { uid: 'u1', namespace: 'ns', name: 'p' };
const image = { ref: 'x', digest: 'sha256:1', config: {}, rootfs: '/' };

test('the index reads a pod\'s own containers; ids the runtime forgot drop out; a relist only adds', async () => {
  const rt = new FakeRuntime();
  const idx = new RuntimeIndex(rt);
  const sb = await rt.createSandbox({ pod, spec: { containers: [] } });
  const c = await rt.createContainer(sb.id, { pod, podSpec: { containers: [] }, container: { name: 'c' }, attempt: 0, image, env: [], mounts: [] });
  assert.deepEqual(await idx.view('u1'), { sandboxes: [], containers: [] }, 'nothing until observed or added');
  idx.observe(await rt.list());
  const v = await idx.view('u1');
  assert.equal(v.sandboxes[0]?.id, sb.id);
  assert.equal(v.containers[0]?.id, c.id);
  idx.observe({ sandboxes: [], containers: [] });
  assert.equal((await idx.view('u1')).containers.length, 1, 'an empty relist removes nothing');
  await rt.stopContainer(c.id, 0);
  await rt.removeContainer(c.id);
  await rt.stopSandbox(sb.id);
  await rt.removeSandbox(sb.id);
  assert.deepEqual(await idx.view('u1'), { sandboxes: [], containers: [] });
  assert.equal(idx.size, 0, 'the pod\'s entry went with its last id');
});
