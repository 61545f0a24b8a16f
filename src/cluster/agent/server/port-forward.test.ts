import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import type { SandboxStatus } from '../runtime/types.ts';
import { netnsDialer } from './port-forward.ts';
import { FakeRuntime } from '../runtime/fake.ts';

const sandbox = (over: Partial<SandboxStatus>): SandboxStatus => ({ id: 'sb-1', pod: { name: 'p', namespace: 'ns', uid: 'u' }, state: 'ready', createdAt: '', namespaces: {}, ...over });

test("port-forward reaches the host's loopback only for a hostNetwork sandbox; one without its namespace fails closed as containerd", async () => {
  const server = createServer((s) => s.end('host'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    // No net path and not on the host network (a sandbox that lost its namespace): refused, never the node's 127.0.0.1.
    const refused = (sb: SandboxStatus) => netnsDialer(sb, port).then((s) => (s.destroy(), "connected to the node's loopback"), (err: Error) => err.message);
    assert.equal(await refused(sandbox({})), 'network namespace for sandbox "sb-1" is closed');
    assert.equal(await refused(sandbox({ hostNetwork: false })), 'network namespace for sandbox "sb-1" is closed');
    const s = await netnsDialer(sandbox({ hostNetwork: true }), port);
    let got = '';
    for await (const chunk of s) got += String(chunk);
    assert.equal(got, 'host');
  } finally {
    server.close();
  }
});

test('the fake runtime says which sandboxes are on the host network', async () => {
  const rt = new FakeRuntime();
  const pod = { name: 'p', namespace: 'ns', uid: 'u', attempt: 0 };
  const host = await rt.createSandbox({ pod, spec: { hostNetwork: true, containers: [] } } as any);
  const own = await rt.createSandbox({ pod: { ...pod, uid: 'v' }, spec: { containers: [] } } as any);
  assert.equal((await rt.sandboxStatus(host.id))?.hostNetwork, true);
  assert.equal((await rt.sandboxStatus(own.id))?.hostNetwork, false);
});
