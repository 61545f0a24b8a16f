import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { admitPod, podRequest } from './pod-admission.ts';
import { SysctlAllowlist } from './runtime/sysctl-allowlist.ts';

const pod = (cpu?: string, memory?: string, init?: Array<{ cpu: string; sidecar?: boolean }>): Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: {
    containers: [{ name: 'c', resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }],
    initContainers: (init ?? []).map((i, n) => ({ name: `i${n}`, resources: { requests: { cpu: i.cpu } }, ...(i.sidecar ? { restartPolicy: 'Always' } : {}) })),
  },
});

test('effective requests: containers + sidecars, or the largest init container (with the sidecars before it)', () => {
  assert.equal(podRequest(pod('250m'), 'cpu'), 250n);
  assert.equal(podRequest(pod('250m', undefined, [{ cpu: '1' }]), 'cpu'), 1000n);
  assert.equal(podRequest(pod('250m', undefined, [{ cpu: '100m', sidecar: true }, { cpu: '200m' }]), 'cpu'), 350n);
  assert.equal(podRequest(pod(undefined, '1Gi'), 'memory'), 1073741824n);
});

test('a pod that does not fit is rejected with the kubelet\'s reason and message', () => {
  const alloc = { cpu: '1', memory: '1Gi', pods: '2' };
  assert.equal(admitPod(pod('500m'), [pod('500m')], alloc), undefined);
  assert.deepEqual(admitPod(pod('600m'), [pod('500m')], alloc), { reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 600, used: 500, capacity: 1000" });
  assert.deepEqual(admitPod(pod(), [pod(), pod()], alloc), { reason: 'OutOfpods', message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2" });
  assert.equal(admitPod(pod(undefined, '2Gi'), [], alloc)?.reason, 'OutOfmemory');
});

test('the predicates after the resources, in the kubelet\'s order and words: NodeAffinity, NodeName, NodePorts, NoExecute taints', () => {
  const node = { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', zone: 'a' } }, spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }, { key: 'soft', effect: 'NoSchedule' }] } };
  const tolerant = { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoExecute' }] };
  const p = (spec: object = {}, labels?: Record<string, string>) => ({ metadata: { name: 'p', labels }, spec: { nodeName: 'n1', containers: [{ name: 'c' }], ...tolerant, ...spec } });
  const alloc = { pods: '10' };
  assert.equal(admitPod(p(), [], alloc, node), undefined, 'NoSchedule taints are the scheduler\'s business');
  assert.deepEqual(admitPod(p({ nodeSelector: { zone: 'b' } }), [], alloc, node), { reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
  const required = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } } };
  assert.equal(admitPod(p(required), [], alloc, node)?.reason, 'NodeAffinity');
  assert.deepEqual(admitPod(p({ nodeName: 'n2' }), [], alloc, node), { reason: 'NodeName', message: "Pod was rejected: Predicate NodeName failed: node(s) didn't match the requested node name" });
  const hostPort = (port: number, hostIP?: string) => p({ containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, ...(hostIP ? { hostIP } : {}) }] }] });
  assert.deepEqual(admitPod(hostPort(8080), [hostPort(8080)], alloc, node), { reason: 'NodePorts', message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
  assert.equal(admitPod(hostPort(8080), [hostPort(8081)], alloc, node), undefined);
  assert.equal(admitPod(hostPort(8080, '10.0.0.1'), [hostPort(8080)], alloc, node)?.reason, 'NodePorts', 'a wildcard host port takes every address');
  assert.deepEqual(admitPod(p({ tolerations: [] }), [], alloc, node), { reason: 'TaintToleration', message: "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" });
  // Resources first: a pod that fails both reports the resource.
  assert.equal(admitPod(p({ nodeSelector: { zone: 'b' } }), [p(), p()], { pods: '2' }, node)?.reason, 'OutOfpods');
  // Without the Node only the resources are checked.
  assert.equal(admitPod(p({ nodeSelector: { zone: 'b' } }), [], alloc), undefined);
});

test('the OS checks come before everything', () => {
  assert.deepEqual(admitPod({ metadata: { labels: { 'kubernetes.io/os': 'windows' } }, spec: { containers: [] } }, [], {}), { reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Pod was rejected: Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" });
  assert.deepEqual(admitPod({ metadata: {}, spec: { os: { name: 'windows' }, containers: [] } }, [], {}), { reason: 'PodOSNotSupported', message: "Pod was rejected: Failed to admit pod as the OS field doesn't match node OS" });
});

test('a pod asking for its own user namespace (hostUsers: false) is rejected: the runtime makes none', () => {
  const alloc = { cpu: '1', memory: '1Gi', pods: '2' };
  const userns: Pod = { ...pod(), spec: { ...pod().spec!, hostUsers: false } };
  assert.deepEqual(admitPod(userns, [], alloc), { reason: 'UserNamespacesNotSupported', message: 'Pod was rejected: RuntimeClass handler "" does not support user namespaces (spec.hostUsers: false)' });
  assert.equal(admitPod({ ...pod(), spec: { ...pod().spec!, hostUsers: true } }, [], alloc), undefined, 'hostUsers: true is the host namespace, as without the field');
});

test('a pod asking for an AppArmor profile (field or beta annotation) is rejected: the runtime applies none', () => {
  const alloc = { cpu: '1', memory: '1Gi', pods: '2' };
  const rejected = { reason: 'AppArmor', message: 'Pod was rejected: Cannot enforce AppArmor: this node agent does not apply AppArmor profiles' };
  const base = pod();
  assert.deepEqual(admitPod({ ...base, spec: { ...base.spec!, securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } } }, [], alloc), rejected);
  assert.deepEqual(admitPod({ ...base, spec: { ...base.spec!, initContainers: [{ name: 'i', securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } } }] } }, [], alloc), rejected);
  assert.deepEqual(admitPod({ ...base, metadata: { ...base.metadata, annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'localhost/p' } } }, [], alloc), rejected);
  // Unconfined asks for nothing.
  assert.equal(admitPod({ ...base, spec: { ...base.spec!, securityContext: { appArmorProfile: { type: 'Unconfined' } } } }, [], alloc), undefined);
  assert.equal(admitPod({ ...base, metadata: { ...base.metadata, annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } } }, [], alloc), undefined);
});

test('under disk pressure a new pod is refused first (reason Evicted, upstream message) unless critical; tolerations do not help', () => {
  const plain: Pod = { metadata: { name: 'p', labels: { 'kubernetes.io/os': 'windows' } }, spec: { containers: [{ name: 'c' }], tolerations: [{ operator: 'Exists' }] } };
  assert.deepEqual(admitPod(plain, [], { pods: '10' }, undefined, ['DiskPressure']), { reason: 'Evicted', message: 'Pod was rejected: The node had condition: [DiskPressure]. ' });
  // No pressure: the OS check is what refuses it.
  assert.equal(admitPod(plain, [], { pods: '10' })?.reason, 'PodOSSelectorNodeLabelDoesNotMatch');
  const critical: Pod = { metadata: { name: 'c' }, spec: { containers: [{ name: 'c' }], priority: 2000001000 } };
  assert.equal(admitPod(critical, [], { pods: '10' }, undefined, ['DiskPressure']), undefined);
  // The mirror annotation is a client's word here (the agent runs no static pods): not critical.
  const mirror: Pod = { metadata: { name: 'm', annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { containers: [{ name: 'c' }] } };
  assert.equal(admitPod(mirror, [], { pods: '10' }, undefined, ['DiskPressure'])?.reason, 'Evicted');
});

test('under MemoryPressure alone only a BestEffort pod that does not tolerate the memory-pressure taint is refused', () => {
  const bestEffort: Pod = { metadata: { name: 'be' }, spec: { containers: [{ name: 'c' }] } };
  const refused = { reason: 'Evicted', message: 'Pod was rejected: The node had condition: [MemoryPressure]. ' };
  assert.deepEqual(admitPod(bestEffort, [], { pods: '10' }, undefined, ['MemoryPressure']), refused);
  // A toleration of the memory-pressure taint (or of everything) lets it in; one of another taint does not.
  const tolerating = (t: object): Pod => ({ ...bestEffort, spec: { ...bestEffort.spec!, tolerations: [t] } });
  assert.equal(admitPod(tolerating({ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }), [], { pods: '10' }, undefined, ['MemoryPressure']), undefined);
  assert.equal(admitPod(tolerating({ operator: 'Exists' }), [], { pods: '10' }, undefined, ['MemoryPressure']), undefined);
  assert.deepEqual(admitPod(tolerating({ key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' }), [], { pods: '10' }, undefined, ['MemoryPressure']), refused);
  // Burstable is admitted under MemoryPressure alone, not when another condition is there too.
  const burstable: Pod = { metadata: { name: 'b' }, spec: { containers: [{ name: 'c', resources: { requests: { memory: '10Mi' } } }] } };
  assert.equal(admitPod(burstable, [], { pods: '10' }, undefined, ['MemoryPressure']), undefined);
  assert.deepEqual(admitPod(burstable, [], { pods: '10' }, undefined, ['MemoryPressure', 'DiskPressure']), { reason: 'Evicted', message: 'Pod was rejected: The node had condition: [MemoryPressure DiskPressure]. ' });
  assert.deepEqual(admitPod(burstable, [], { pods: '10' }, undefined, ['PIDPressure'])?.message, 'Pod was rejected: The node had condition: [PIDPressure]. ');
});

test('the sysctl allowlist: an unsafe sysctl, or a net.* one with the host network, is SysctlForbidden after the pressure check and before the OS checks', () => {
  const alloc = { cpu: '1', memory: '1Gi', pods: '2' };
  const withSysctls = (sysctls: Array<{ name: string; value: string }>, extra: Record<string, unknown> = {}): Pod => ({ ...pod(), metadata: { ...pod().metadata, labels: { 'kubernetes.io/os': 'windows' } }, spec: { ...pod().spec!, securityContext: { sysctls }, ...extra } });
  assert.deepEqual(admitPod(withSysctls([{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'net.core.somaxconn', value: '1024' }]), [], alloc), { reason: 'SysctlForbidden', message: 'Pod was rejected: forbidden sysctl: "net.core.somaxconn" not allowlisted' });
  assert.deepEqual(admitPod(withSysctls([{ name: 'net.ipv4.tcp_syncookies', value: '1' }], { hostNetwork: true }), [], alloc), { reason: 'SysctlForbidden', message: 'Pod was rejected: forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host net enabled' });
  // Safe ones pass on to the next check (here the OS label).
  assert.equal(admitPod(withSysctls([{ name: 'net.ipv4.tcp_syncookies', value: '1' }]), [], alloc)?.reason, 'PodOSSelectorNodeLabelDoesNotMatch');
  assert.equal(admitPod(withSysctls([{ name: 'net.core.somaxconn', value: '1024' }]), [], alloc, undefined, ['DiskPressure'])?.reason, 'Evicted', 'the eviction manager first');
  // --allowed-unsafe-sysctls: in the list, it passes on too; the host network still refuses it.
  const unsafe = SysctlAllowlist.withUnsafe(['net.core.*']);
  assert.equal(admitPod(withSysctls([{ name: 'net.core.somaxconn', value: '1024' }]), [], alloc, undefined, [], unsafe)?.reason, 'PodOSSelectorNodeLabelDoesNotMatch');
  assert.deepEqual(admitPod(withSysctls([{ name: 'net.core.somaxconn', value: '1024' }], { hostNetwork: true }), [], alloc, undefined, [], unsafe)?.message, 'Pod was rejected: forbidden sysctl: "net.core.somaxconn" not allowed with host net enabled');
  assert.deepEqual(admitPod(withSysctls([{ name: 'kernel.msgmax', value: '1' }]), [], alloc, undefined, [], unsafe)?.message, 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted');
});

test('a critical pod short only of resources comes back with every shortfall (for preemption); another failing predicate wins', () => {
  const alloc = { cpu: '1', memory: '1Gi', pods: '2' };
  const critical = (cpu: string, memory: string, extra: Record<string, unknown> = {}): Pod => ({ ...pod(cpu, memory), spec: { ...pod(cpu, memory).spec!, priority: 2_000_000_000, ...extra } });
  const full = [pod('600m', '512Mi'), pod('200m', '256Mi')];
  assert.deepEqual(admitPod(critical('500m', '512Mi'), full, alloc), {
    reason: 'OutOfpods', message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2",
    insufficient: [{ resource: 'pods', quantity: 1n }, { resource: 'cpu', quantity: 300n }, { resource: 'memory', quantity: 256n * 1024n * 1024n }],
  });
  // Not critical: the first reason only, nothing to preempt for.
  assert.equal(admitPod(pod('500m', '512Mi'), full, alloc)?.insufficient, undefined);
  const node = { metadata: { name: 'n1', labels: { zone: 'a' } } };
  assert.deepEqual(admitPod(critical('500m', '512Mi', { nodeSelector: { zone: 'b' } }), full, alloc, node), { reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
  assert.equal(admitPod(critical('100m', '100Mi'), [pod('600m', '512Mi')], alloc, node), undefined);
});
