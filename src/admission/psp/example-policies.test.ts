import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Provider } from './provider.ts';

type Obj = Record<string, any>;
const load = (name: string): Obj => parse(readFileSync(join(import.meta.dirname, `../../../policies/psp/${name}.yaml`), 'utf8'));

function check(policy: Obj, podSpec: Obj): { pod: Obj; errors: string[] } {
  const provider = new Provider(policy);
  const pod: Obj = { metadata: { name: 'x' }, spec: structuredClone(podSpec) };
  provider.mutatePod(pod);
  return { pod, errors: provider.validatePod(pod).map((e) => e.text) };
}

const plain = { containers: [{ name: 'c', image: 'nginx' }] };
const hostly = { hostNetwork: true, volumes: [{ name: 'h', hostPath: { path: '/' } }], containers: [{ name: 'c', securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }] };

test('the example privileged policy admits anything unchanged', () => {
  for (const spec of [plain, hostly]) {
    const { pod, errors } = check(load('privileged'), spec);
    assert.deepEqual(errors, []);
    assert.deepEqual(pod.spec, spec);
  }
});

test('the example restricted policy defaults a plain pod into compliance', () => {
  const { pod, errors } = check(load('restricted'), plain);
  assert.deepEqual(errors, []);
  assert.deepEqual(pod.spec.securityContext, { supplementalGroups: [1], fsGroup: 1 });
  assert.deepEqual(pod.spec.containers[0].securityContext, { runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false });
  assert.equal(pod.metadata.annotations['seccomp.security.alpha.kubernetes.io/pod'], 'runtime/default');
  assert.equal(pod.metadata.annotations['container.apparmor.security.beta.kubernetes.io/c'], 'runtime/default');
});

test('the example restricted policy refuses a host-level pod', () => {
  const { errors } = check(load('restricted'), hostly);
  assert.deepEqual(errors, [
    'spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used',
    'spec.volumes[0]: Invalid value: "hostPath": hostPath volumes are not allowed to be used',
    'spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed',
    'spec.containers[0].securityContext.capabilities.add: Invalid value: "SYS_ADMIN": capability may not be added',
  ]);
});

test('an unusable policy is refused when the provider is built', () => {
  assert.throws(() => new Provider({ metadata: { name: 'bad' }, spec: { runAsUser: { rule: 'Nope' } } }), /Unrecognized RunAsUser strategy type Nope/);
  assert.throws(() => new Provider({ metadata: { name: 'bad' }, spec: { runAsUser: { rule: 'MustRunAs' } } }), /at least one range/);
});
