import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { DenyEscalatingExec, DenyExecOnPrivileged } from './deny-exec-on-privileged.ts';
import { podAttrs, testDeps } from '../webhook/test-support.ts';

const exec = (name: string, subresource = 'exec') => podAttrs({ operation: 'CONNECT', subresource, name, object: undefined });

const pods: Record<string, Record<string, unknown>> = {
  plain: { containers: [{ name: 'c' }] },
  privileged: { containers: [{ name: 'c', securityContext: { privileged: true } }] },
  privInit: { initContainers: [{ name: 'i', securityContext: { privileged: true } }], containers: [{ name: 'c' }] },
  hostnet: { hostNetwork: true, containers: [{ name: 'c' }] },
  hostpid: { hostPID: true, containers: [{ name: 'c' }] },
  hostipc: { hostIPC: true, containers: [{ name: 'c' }] },
};

const cases: [string, string, string | undefined, string | undefined][] = [
  ['plain', 'exec', undefined, undefined],
  ['privileged', 'exec', 'cannot exec into or attach to a privileged container', 'cannot exec into or attach to a privileged container'],
  ['privInit', 'attach', 'cannot exec into or attach to a privileged container', 'cannot exec into or attach to a privileged container'],
  ['hostnet', 'exec', 'cannot exec into or attach to a container using host network', undefined],
  ['hostpid', 'attach', 'cannot exec into or attach to a container using host pid', undefined],
  ['hostipc', 'exec', 'cannot exec into or attach to a container using host ipc', undefined],
  ['missing', 'exec', 'pods "missing" not found', 'pods "missing" not found'],
];

for (const [name, sub, escalating, onPrivileged] of cases) {
  test(`${sub} into ${name}`, async () => {
    const deps = testDeps();
    for (const [n, spec] of Object.entries(pods)) await deps.store.create(`/registry/core/pods/ns/${n}`, { metadata: { name: n, namespace: 'ns' }, spec });
    for (const [plugin, want] of [[new DenyEscalatingExec(deps), escalating], [new DenyExecOnPrivileged(deps), onPrivileged]] as const) {
      const a = exec(name, sub);
      assert.equal(plugin.handles(a), true);
      const run = new AdmissionChain([], [plugin]).validate(a, emptyOutcome());
      if (want) await assert.rejects(run, { code: 403, message: `pods "${name}" is forbidden: ${want}` });
      else await run;
    }
  });
}

test('only CONNECT to pods/exec and pods/attach is handled', () => {
  const p = new DenyEscalatingExec(testDeps());
  assert.equal(p.handles(exec('x', 'portforward')), false);
  assert.equal(p.handles(podAttrs({ subresource: 'exec' })), false);
});
