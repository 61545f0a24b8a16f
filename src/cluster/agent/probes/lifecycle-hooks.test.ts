import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime, ExecOptions } from '../runtime/types.ts';
import { runLifecycleHook } from './lifecycle-hooks.ts';

/** Only exec is used by hooks: `exit N` exits with N after printing its argv; `hang` runs until aborted. */
const runtime = {
  async exec(_id: string, o: ExecOptions) {
    if (o.argv[0] === 'hang') {
      await new Promise<void>((r) => o.signal?.addEventListener('abort', () => r()));
      return { exitCode: 137 };
    }
    o.stdout?.write(`${o.argv.join(' ')}\n`);
    return { exitCode: o.argv[0] === 'exit' ? Number(o.argv[1]) : 0 };
  },
} as unknown as ContainerRuntime;

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'c' }] } };
const ctx = (timeoutMs?: number) => ({ runtime, pod, container: { name: 'c' }, containerId: 'id1', podIP: '127.0.0.1', timeoutMs });

test('exec hooks: success is no message; a non-zero exit is upstream\'s message', async () => {
  assert.equal(await runLifecycleHook(ctx(), { exec: { command: ['true'] } }), undefined);
  assert.equal(
    await runLifecycleHook(ctx(), { exec: { command: ['exit', '3'] } }),
    'Exec lifecycle hook ([exit 3]) for Container "c" in Pod "p_ns(u1)" failed - error: command \'exit 3\' exited with 3: exit 3\n, message: "exit 3\\n"',
  );
  assert.match((await runLifecycleHook(ctx(50), { exec: { command: ['hang'] } }))!, /failed - error: command "hang" timed out, message: ""$/);
});

test('sleep hooks: a deadline shorter than the sleep ends it with upstream\'s error; httpGet failures name the path', async () => {
  assert.equal(await runLifecycleHook(ctx(), { sleep: { seconds: 0 } }), undefined);
  assert.equal(await runLifecycleHook(ctx(20), { sleep: { seconds: 5 } }), 'Sleep lifecycle hook (5) for Container "c" in Pod "p_ns(u1)" failed - error: container terminated before sleep hook finished');
  const msg = await runLifecycleHook({ ...ctx(), podIP: undefined }, { httpGet: { path: '/quit', port: 8080 } });
  assert.equal(msg, 'HTTP lifecycle hook (/quit) for Container "c" in Pod "p_ns(u1)" failed - error: the pod has no IP address yet');
});
