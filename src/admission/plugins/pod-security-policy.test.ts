import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authorizer, AuthzAttributes } from '../../authz/types.ts';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { podAttrs, testDeps } from '../webhook/test-support.ts';
import { PodSecurityPolicy } from './pod-security-policy.ts';

type Obj = Record<string, any>;

/** Grants `use` of the named policies per username; records every check. */
function grants(map: Record<string, string[]>, seen: AuthzAttributes[] = []): Authorizer {
  return {
    name: 'fake',
    authorize: async (a) => {
      seen.push(a);
      const ok = a.verb === 'use' && a.apiGroup === 'policy' && a.resource === 'podsecuritypolicies' && (map[a.user.username] ?? []).includes(a.name);
      return { decision: ok ? 'allow' : 'no-opinion', reason: '' };
    },
  };
}

const anyRule = { rule: 'RunAsAny' };
function psp(name: string, spec: Obj = {}, annotations?: Record<string, string>): Obj {
  return {
    apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { seLinux: anyRule, runAsUser: anyRule, supplementalGroups: anyRule, fsGroup: anyRule, volumes: ['*'], ...spec },
  };
}

const restricted = psp('restricted', {
  privileged: false, allowPrivilegeEscalation: false, requiredDropCapabilities: ['ALL'], volumes: ['configMap', 'emptyDir', 'secret'],
  runAsUser: { rule: 'MustRunAsNonRoot' }, supplementalGroups: { rule: 'MustRunAs', ranges: [{ min: 1, max: 65535 }] },
  fsGroup: { rule: 'MustRunAs', ranges: [{ min: 1, max: 65535 }] }, readOnlyRootFilesystem: false,
});
const privileged = psp('privileged', { privileged: true, allowPrivilegeEscalation: true, allowedCapabilities: ['*'], hostNetwork: true, hostPorts: [{ min: 0, max: 65535 }], hostIPC: true, hostPID: true });

async function run(policies: Obj[], auth: Authorizer, spec: Obj, over: Obj = {}) {
  const deps = testDeps(auth);
  for (const p of policies) await deps.store.create(`/registry/policy/podsecuritypolicies/${p.metadata.name}`, p);
  const plugin = new PodSecurityPolicy(deps);
  const chain = new AdmissionChain([plugin], [plugin]);
  const attrs = podAttrs({ object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'ns' }, spec }, name: 'x', ...over });
  const out = emptyOutcome();
  await chain.admit(attrs, out);
  await chain.validate(attrs, out);
  return { pod: attrs.object!, out };
}

const denial = (errs: string) => ({ code: 403, message: `pods "x" is forbidden: PodSecurityPolicy: unable to admit pod: ${errs}` });
const priv = { containers: [{ name: 'c', image: 'i', securityContext: { privileged: true } }] };

test('a privileged container is refused by a policy without privileged', async () => {
  await assert.rejects(run([psp('p')], grants({ alice: ['p'] }), priv),
    denial('[spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]'));
});

test('no policies at all: nothing can be admitted', async () => {
  await assert.rejects(run([], grants({}), { containers: [{ name: 'c' }] }), denial('[]'));
});

test('errors of policies the user may not use are not shown', async () => {
  await assert.rejects(run([psp('p'), psp('q')], grants({ alice: ['q'] }), priv),
    denial('[spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]'));
  await assert.rejects(run([psp('p')], grants({}), priv), denial('[]'));
});

test('the service account may grant the policy', async () => {
  const seen: AuthzAttributes[] = [];
  const { pod } = await run([privileged], grants({ 'system:serviceaccount:ns:builder': ['privileged'] }, seen), { ...priv, serviceAccountName: 'builder' });
  assert.equal(pod.metadata.annotations['kubernetes.io/psp'], 'privileged');
  const sa = seen.find((a) => a.user.username === 'system:serviceaccount:ns:builder')!;
  assert.deepEqual(sa.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns']);
  assert.equal(sa.namespace, 'ns');
});

test('a non-mutating policy wins over an alphabetically earlier mutating one', async () => {
  const { pod, out } = await run([restricted, privileged], grants({ alice: ['restricted', 'privileged'] }), { containers: [{ name: 'c' }] });
  assert.equal(pod.metadata.annotations['kubernetes.io/psp'], 'privileged');
  assert.equal(pod.spec.securityContext, undefined);
  assert.equal(out.auditAnnotations['podsecuritypolicy.admission.k8s.io/admit-policy'], 'privileged');
  assert.equal(out.auditAnnotations['podsecuritypolicy.admission.k8s.io/validate-policy'], 'privileged');
});

test('the first mutating policy in name order applies its defaults', async () => {
  const b = psp('b-mustrun', { runAsUser: { rule: 'MustRunAs', ranges: [{ min: 1000, max: 2000 }] } });
  const { pod } = await run([b, restricted], grants({ alice: ['restricted', 'b-mustrun'] }), { containers: [{ name: 'c' }] });
  assert.equal(pod.metadata.annotations['kubernetes.io/psp'], 'b-mustrun');
  assert.deepEqual(pod.spec.containers[0].securityContext, { runAsUser: 1000 });
});

test('restricted defaults: groups, non-root, dropped capabilities, no escalation', async () => {
  const { pod } = await run([restricted], grants({ alice: ['restricted'] }), { containers: [{ name: 'c' }] });
  assert.deepEqual(pod.spec.securityContext, { supplementalGroups: [1], fsGroup: 1 });
  assert.deepEqual(pod.spec.containers[0].securityContext, { runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false });
});

test('defaults: added capabilities, defaultAllowPrivilegeEscalation, seccomp and AppArmor', async () => {
  const p = psp('d', { defaultAddCapabilities: ['NET_ADMIN'], defaultAllowPrivilegeEscalation: false }, {
    'seccomp.security.alpha.kubernetes.io/allowedProfileNames': 'runtime/default,docker/default',
    'seccomp.security.alpha.kubernetes.io/defaultProfileName': 'runtime/default',
    'apparmor.security.beta.kubernetes.io/allowedProfileNames': 'runtime/default',
    'apparmor.security.beta.kubernetes.io/defaultProfileName': 'runtime/default',
  });
  const { pod } = await run([p], grants({ alice: ['d'] }), { containers: [{ name: 'c' }] });
  assert.deepEqual(pod.spec.containers[0].securityContext, { capabilities: { add: ['NET_ADMIN'] }, allowPrivilegeEscalation: false });
  assert.deepEqual(pod.metadata.annotations, {
    'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
    'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default',
    'kubernetes.io/psp': 'd',
  });
});

const c0 = 'spec.containers[0]';
const sc0 = `${c0}.securityContext`;
const refusals: [string, Obj, Obj, string][] = [
  ['host network', {}, { hostNetwork: true, containers: [{ name: 'c' }] }, 'spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used'],
  ['host PID', {}, { hostPID: true, containers: [{ name: 'c' }] }, 'spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used'],
  ['host IPC', {}, { hostIPC: true, containers: [{ name: 'c' }] }, 'spec.securityContext.hostIPC: Invalid value: true: Host IPC is not allowed to be used'],
  ['host port', { hostPorts: [{ min: 80, max: 80 }, { min: 8000, max: 8080 }] }, { containers: [{ name: 'c', ports: [{ containerPort: 1, hostPort: 22 }] }] },
    `${c0}.hostPort: Invalid value: 22: Host port 22 is not allowed to be used. Allowed ports: [80,8000-8080]`],
  ['volume type', { volumes: ['secret'] }, { volumes: [{ name: 'v', emptyDir: {} }], containers: [{ name: 'c' }] },
    'spec.volumes[0]: Invalid value: "emptyDir": emptyDir volumes are not allowed to be used'],
  ['host path prefix', { allowedHostPaths: [{ pathPrefix: '/foo' }] }, { volumes: [{ name: 'v', hostPath: { path: '/foobar' } }], containers: [{ name: 'c' }] },
    'spec.volumes[0].hostPath.pathPrefix: Invalid value: "/foobar": is not allowed to be used'],
  ['read-only host path', { allowedHostPaths: [{ pathPrefix: '/foo', readOnly: true }] },
    { volumes: [{ name: 'v', hostPath: { path: '/foo/bar' } }], containers: [{ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/m' }] }] },
    `${c0}.volumeMounts[0].readOnly: Invalid value: false: must be read-only`],
  ['flex driver', { allowedFlexVolumes: [{ driver: 'good' }] }, { volumes: [{ name: 'v', flexVolume: { driver: 'bad' } }], containers: [{ name: 'c' }] },
    'spec.volumes[0].driver: Invalid value: "bad": Flexvolume driver is not allowed to be used'],
  ['capability', { allowedCapabilities: ['CHOWN'] }, { containers: [{ name: 'c', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }] },
    `${sc0}.capabilities.add: Invalid value: "SYS_ADMIN": capability may not be added`],
  ['run as root', { runAsUser: { rule: 'MustRunAsNonRoot' } }, { containers: [{ name: 'c', securityContext: { runAsUser: 0 } }] },
    `${sc0}.runAsUser: Invalid value: 0: running with the root UID is forbidden`],
  ['uid out of range', { runAsUser: { rule: 'MustRunAs', ranges: [{ min: 1, max: 10 }] } }, { containers: [{ name: 'c', securityContext: { runAsUser: 11 } }] },
    `${sc0}.runAsUser: Invalid value: 11: must be in the ranges: [{1 10}]`],
  ['fsGroup out of range', { fsGroup: { rule: 'MustRunAs', ranges: [{ min: 1, max: 10 }] } }, { securityContext: { fsGroup: 20 }, containers: [{ name: 'c' }] },
    'spec.securityContext.fsGroup: Invalid value: []int64{20}: group 20 must be in the ranges: [{1 10}]'],
  ['runAsGroup out of range', { runAsGroup: { rule: 'MayRunAs', ranges: [{ min: 1, max: 10 }] } }, { containers: [{ name: 'c', securityContext: { runAsGroup: 0 } }] },
    `${sc0}.runAsGroup: Invalid value: []int64{0}: group 0 must be in the ranges: [{1 10}]`],
  ['read-only root', { readOnlyRootFilesystem: true }, { containers: [{ name: 'c', securityContext: { readOnlyRootFilesystem: false } }] },
    `${sc0}.readOnlyRootFilesystem: Invalid value: false: ReadOnlyRootFilesystem must be set to true`],
  ['escalation', { allowPrivilegeEscalation: false }, { containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: true } }] },
    `${sc0}.allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for containers is not allowed`],
  ['proc mount', {}, { containers: [{ name: 'c', securityContext: { procMount: 'Unmasked' } }] }, `${sc0}.procMount: Invalid value: "Unmasked": ProcMountType is not allowed`],
  ['unsafe sysctl', {}, { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] }, containers: [{ name: 'c' }] },
    'pod.spec.securityContext.sysctls[0]: Forbidden: unsafe sysctl "kernel.msgmax" is not allowed'],
  ['forbidden sysctl', { forbiddenSysctls: ['kernel.*'] }, { securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] }, containers: [{ name: 'c' }] },
    'pod.spec.securityContext.sysctls[0]: Forbidden: sysctl "kernel.shm_rmid_forced" is not allowed'],
  ['selinux level', { seLinux: { rule: 'MustRunAs', seLinuxOptions: { level: 's0:c1' } } }, { containers: [{ name: 'c', securityContext: { seLinuxOptions: { level: 's0:c2' } } }] },
    `${sc0}.seLinuxOptions.level: Invalid value: "s0:c2": must be s0:c1`],
];

for (const [what, spec, podSpec, want] of refusals) {
  test(`refused: ${what}`, async () => {
    await assert.rejects(run([psp('p', spec)], grants({ alice: ['p'] }), podSpec), denial(`[${want}]`));
  });
}

test('several errors print space-separated', async () => {
  const spec = { hostNetwork: true, containers: [{ name: 'c', securityContext: { privileged: true } }] };
  await assert.rejects(run([psp('p')], grants({ alice: ['p'] }), spec), denial(
    '[spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]'));
});

test('updates are validated without mutation; GC-only updates are skipped', async () => {
  const deps = testDeps(grants({ alice: ['restricted'] }));
  await deps.store.create('/registry/policy/podsecuritypolicies/restricted', restricted);
  const plugin = new PodSecurityPolicy(deps);
  const old = { metadata: { name: 'x', namespace: 'ns' }, spec: { containers: [{ name: 'c' }] } };
  const attrs = podAttrs({ operation: 'UPDATE', name: 'x', oldObject: old, object: { ...old, spec: { containers: [{ name: 'c', image: 'other' }] } } });
  assert.equal(plugin.handles(attrs), true);
  assert.deepEqual(await plugin.admit(attrs), { allowed: true });
  const v = await plugin.validate(attrs);
  assert.equal(v.allowed, false);
  assert.match(v.reason!, /^PodSecurityPolicy: unable to validate pod: \[/);
  const gc = podAttrs({ operation: 'UPDATE', oldObject: old, object: { ...old, metadata: { ...old.metadata, finalizers: ['f'] } } });
  assert.equal(plugin.handles(gc), false);
});
