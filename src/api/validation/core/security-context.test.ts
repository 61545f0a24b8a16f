import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { errorString, path } from '../field-errors.ts';
import { validatePod, validatePodUpdate } from './pod.ts';
import { validatePodSpec, validatePodTemplateSpec } from './pod-spec.ts';
import { withCapabilities } from '../capabilities.ts';

type Spec = PodSpec & Record<string, unknown>;

/** A defaulted pod spec, as validation sees it; `edit` changes a copy. */
function spec(edit: (s: any) => void = () => {}): Spec {
  const s: any = {
    restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, securityContext: {},
    containers: [{ name: 'app', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }],
  };
  edit(s);
  return s;
}
const pod = (s: Spec): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec: s });
/** The pod's errors as upstream prints them. */
const errs = (s: Spec): string[] => validatePod(pod(s)).map(errorString);
/** The same with --allow-privileged, for the rules that are not the privileged policy itself. */
const errsAllowed = (s: Spec): string[] => withCapabilities({ allowPrivileged: true }, () => errs(s));
const ctr = (s: any) => s.containers[0];

const RANGE = 'must be between 0 and 2147483647, inclusive';

test('runAsUser, runAsGroup, fsGroup and supplementalGroups are 0..MaxInt32 (IsValidUserID / IsValidGroupID)', () => {
  assert.deepEqual(errs(spec((s) => (s.securityContext = { runAsUser: -1, runAsGroup: 2147483648, fsGroup: -5, supplementalGroups: [1, -2] }))), [
    `spec.securityContext.fsGroup: Invalid value: -5: ${RANGE}`,
    `spec.securityContext.runAsUser: Invalid value: -1: ${RANGE}`,
    `spec.securityContext.runAsGroup: Invalid value: 2147483648: ${RANGE}`,
    `spec.securityContext.supplementalGroups[1]: Invalid value: -2: ${RANGE}`,
  ]);
  assert.deepEqual(errs(spec((s) => (ctr(s).securityContext = { runAsUser: -1, runAsGroup: -1 }))), [
    `spec.containers[0].securityContext.runAsUser: Invalid value: -1: ${RANGE}`,
    `spec.containers[0].securityContext.runAsGroup: Invalid value: -1: ${RANGE}`,
  ]);
  assert.deepEqual(errs(spec((s) => (s.securityContext = { runAsUser: 0, runAsGroup: 2147483647, fsGroup: 0, supplementalGroups: [0] }))), []);
});

test('sysctls: name required, IsValidSysctlName, duplicates, and none of a namespace shared with the host', () => {
  const sysctls = (...names: string[]) => names.map((name) => ({ name, value: '1' }));
  const re = '^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$';
  assert.deepEqual(errs(spec((s) => (s.securityContext = { sysctls: sysctls('', 'Net.Core', 'net.core.somaxconn', 'net.core.somaxconn', `net.${'a'.repeat(250)}`) }))), [
    'spec.securityContext.sysctls[0].name: Required value',
    `spec.securityContext.sysctls[1].name: Invalid value: "Net.Core": must have at most 253 characters and match regex ${re}`,
    'spec.securityContext.sysctls[3].name: Duplicate value: "net.core.somaxconn"',
    `spec.securityContext.sysctls[4].name: Invalid value: "net.${'a'.repeat(250)}": must have at most 253 characters and match regex ${re}`,
  ]);
  // The agent's ../ escape never reaches it: the name is refused before it is stored.
  assert.equal(errs(spec((s) => (s.securityContext = { sysctls: sysctls('net.x/../../kernel/core_pattern') }))).length, 1);
  assert.deepEqual(errs(spec((s) => {
    s.hostNetwork = true;
    s.hostIPC = true;
    s.securityContext = { sysctls: sysctls('net.ipv4.ip_forward', 'net/ipv4/tcp_syncookies', 'kernel.shm_rmid_forced', 'fs.mqueue.msg_max', 'kernel.sem', 'vm.swappiness') };
  })), [
    "spec.securityContext.sysctls[0].name: Invalid value: \"net.ipv4.ip_forward\": may not be specified when 'hostNetwork' is true",
    "spec.securityContext.sysctls[1].name: Invalid value: \"net/ipv4/tcp_syncookies\": may not be specified when 'hostNetwork' is true",
    "spec.securityContext.sysctls[2].name: Invalid value: \"kernel.shm_rmid_forced\": may not be specified when 'hostIPC' is true",
    "spec.securityContext.sysctls[3].name: Invalid value: \"fs.mqueue.msg_max\": may not be specified when 'hostIPC' is true",
    "spec.securityContext.sysctls[4].name: Invalid value: \"kernel.sem\": may not be specified when 'hostIPC' is true",
  ]);
  assert.deepEqual(errs(spec((s) => (s.securityContext = { sysctls: sysctls('net.ipv4.ip_forward', 'net/ipv4/conf/eth0.100/forwarding', 'kernel.msgmax') }))), []);
});

test('an update may keep host-namespace sysctls the stored pod already had (AllowNamespacedSysctlsForHostNetAndHostIPC)', () => {
  const stored = pod(spec((s) => {
    s.hostNetwork = true;
    s.securityContext = { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] };
  }));
  const old: Pod = { ...stored, metadata: { ...stored.metadata, resourceVersion: '1' } };
  const next = structuredClone(old);
  next.metadata!.labels = { a: 'b' };
  assert.deepEqual(validatePodUpdate(next, old).map(errorString), []);
  assert.equal(validatePod(next).length, 1);
});

test('shareProcessNamespace with hostPID; hostUsers false with host namespaces (upstream paths)', () => {
  assert.deepEqual(errs(spec((s) => Object.assign(s, { shareProcessNamespace: true, hostPID: true }))), [
    'spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled',
  ]);
  assert.deepEqual(errs(spec((s) => Object.assign(s, { hostUsers: false, hostNetwork: true, hostPID: true, hostIPC: true }))), [
    'spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false',
    'spec.HostPID: Forbidden: when `pod.Spec.HostUsers` is false',
    'spec.HostIPC: Forbidden: when `pod.Spec.HostUsers` is false',
  ]);
});

test('policies: fsGroupChangePolicy, supplementalGroupsPolicy, seLinuxChangePolicy, procMount', () => {
  assert.deepEqual(errs(spec((s) => (s.securityContext = { fsGroupChangePolicy: 'Sometimes', supplementalGroupsPolicy: 'Loose', seLinuxChangePolicy: 'Never' }))), [
    'spec.securityContext.fsGroupChangePolicy: Unsupported value: "Sometimes": supported values: "Always", "OnRootMismatch"',
    'spec.securityContext.supplementalGroupsPolicy: Unsupported value: "Loose": supported values: "Merge", "Strict"',
    // SELinuxMount is off in 1.33: a new pod may only ask for Recursive.
    'spec.securityContext.seLinuxChangePolicy: Unsupported value: "Never": supported values: "Recursive"',
  ]);
  assert.deepEqual(errs(spec((s) => (ctr(s).securityContext = { procMount: 'Masked' }))), [
    'spec.containers[0].securityContext.procMount: Unsupported value: "Masked": supported values: "Default", "Unmasked"',
  ]);
  assert.deepEqual(errs(spec((s) => (ctr(s).securityContext = { procMount: 'Unmasked' }))), [
    'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
  ]);
  assert.deepEqual(errs(spec((s) => Object.assign(s, { hostUsers: false }) && (ctr(s).securityContext = { procMount: 'Unmasked' }))), []);
});

test('seccompProfile: type required or known; localhostProfile only for Localhost, relative, no ..', () => {
  assert.deepEqual(errs(spec((s) => {
    s.securityContext = { seccompProfile: {} };
    ctr(s).securityContext = { seccompProfile: { type: 'Custom' } };
    s.initContainers = [{ ...ctr(s), name: 'init', securityContext: { seccompProfile: { type: 'Localhost' } } }];
  })), [
    'spec.containers[0].securityContext.seccompProfile.type: Unsupported value: "Custom": supported values: "Localhost", "RuntimeDefault", "Unconfined"',
    'spec.initContainers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost',
    'spec.securityContext.seccompProfile.type: Required value: type is required when seccompProfile is set',
  ]);
  assert.deepEqual(errs(spec((s) => (s.securityContext = { seccompProfile: { type: 'Localhost', localhostProfile: '/etc/../x.json' } }))), [
    'spec.securityContext.seccompProfile.localhostProfile: Invalid value: "/etc/../x.json": must be a relative path',
    'spec.securityContext.seccompProfile.localhostProfile: Invalid value: "/etc/../x.json": must not contain \'..\'',
  ]);
  assert.deepEqual(errs(spec((s) => (s.securityContext = { seccompProfile: { type: 'RuntimeDefault', localhostProfile: 'x.json' } }))), [
    'spec.securityContext.seccompProfile.localhostProfile: Invalid value: core.SeccompProfile{Type:"RuntimeDefault", LocalhostProfile:(*string)("x.json")}: can only be set when seccomp type is Localhost',
  ]);
  assert.deepEqual(errs(spec((s) => (s.securityContext = { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } }))), []);
});

test('appArmorProfile: type, localhostProfile rules', () => {
  const aa = (appArmorProfile: unknown) => errs(spec((s) => (ctr(s).securityContext = { appArmorProfile })));
  const p = 'spec.containers[0].securityContext.appArmorProfile';
  assert.deepEqual(aa({}), [`${p}.type: Required value: type is required when appArmorProfile is set`]);
  assert.deepEqual(aa({ type: 'Strict' }), [`${p}.type: Unsupported value: "Strict": supported values: "Localhost", "RuntimeDefault", "Unconfined"`]);
  assert.deepEqual(aa({ type: 'Localhost' }), [`${p}.localhostProfile: Required value: must be set when AppArmor type is Localhost`]);
  assert.deepEqual(aa({ type: 'Localhost', localhostProfile: '' }), [`${p}.localhostProfile: Required value: must be set when AppArmor type is Localhost`]);
  assert.deepEqual(aa({ type: 'Localhost', localhostProfile: ' k8s ' }), [`${p}.localhostProfile: Invalid value: " k8s ": must not be padded with whitespace`]);
  assert.deepEqual(aa({ type: 'Localhost', localhostProfile: 'x'.repeat(4096) }), [`${p}.localhostProfile: Too long: may not be more than 4095 bytes`]);
  assert.deepEqual(aa({ type: 'Unconfined', localhostProfile: 'k8s' }), [`${p}.localhostProfile: Invalid value: "k8s": can only be set when AppArmor type is Localhost`]);
  assert.deepEqual(aa({ type: 'Localhost', localhostProfile: 'k8s-apparmor' }), []);
  assert.deepEqual(errs(spec((s) => (s.securityContext = { appArmorProfile: { type: 'RuntimeDefault' } }))), []);
});

test('allowPrivilegeEscalation false with privileged or CAP_SYS_ADMIN (the struct as Go prints it, values for addresses)', () => {
  const got = errsAllowed(spec((s) => (ctr(s).securityContext = { privileged: true, allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } })));
  const sc =
    'core.SecurityContext{Capabilities:(*core.Capabilities)(…), Privileged:(*bool)(true), SELinuxOptions:(*core.SELinuxOptions)(nil), WindowsOptions:(*core.WindowsSecurityContextOptions)(nil), RunAsUser:(*int64)(nil), RunAsGroup:(*int64)(nil), RunAsNonRoot:(*bool)(nil), ReadOnlyRootFilesystem:(*bool)(nil), AllowPrivilegeEscalation:(*bool)(false), ProcMount:(*core.ProcMountType)(nil), SeccompProfile:(*core.SeccompProfile)(nil), AppArmorProfile:(*core.AppArmorProfile)(nil)}';
  assert.deepEqual(got, [
    `spec.containers[0].securityContext: Invalid value: ${sc}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`,
    `spec.containers[0].securityContext: Invalid value: ${sc}: cannot set \`allowPrivilegeEscalation\` to false and \`capabilities.Add\` CAP_SYS_ADMIN`,
  ]);
  // Either alone, or SYS_ADMIN without the CAP_ prefix (upstream compares the exact string), is fine.
  assert.deepEqual(errsAllowed(spec((s) => (ctr(s).securityContext = { privileged: true, allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN', 'SYS_ADMIN'] } }))), []);
  assert.deepEqual(errs(spec((s) => (ctr(s).securityContext = { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'], drop: ['ALL'] } }))), []);
});

test('hostNetwork: a pod\'s hostPort must equal its containerPort; a template may leave it 0', () => {
  const withPorts = (ports: unknown[]) => spec((s) => {
    s.hostNetwork = true;
    ctr(s).ports = ports;
  });
  assert.deepEqual(errs(withPorts([{ containerPort: 80, hostPort: 80, protocol: 'TCP' }, { containerPort: 81, hostPort: 82, protocol: 'TCP' }])), [
    'spec.containers[0].ports[1].hostPort: Invalid value: 82: must match `containerPort` when `hostNetwork` is true',
  ]);
  assert.deepEqual(errs(withPorts([{ containerPort: 80, protocol: 'TCP' }])), ['spec.containers[0].ports[0].hostPort: Invalid value: 0: must match `containerPort` when `hostNetwork` is true']);
  const template = (ports: unknown[]) => validatePodTemplateSpec({ metadata: {}, spec: withPorts(ports) }, path('spec', 'template')).map(errorString);
  assert.deepEqual(template([{ containerPort: 80, protocol: 'TCP' }]), []);
  assert.deepEqual(template([{ containerPort: 80, hostPort: 81, protocol: 'TCP' }]), ['spec.template.spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true']);
});

test('templates get the same securityContext checks (Deployments, Jobs, ... reach validatePodSpec)', () => {
  const s = spec((x) => (x.securityContext = { sysctls: [{ name: 'bad name', value: '1' }] }));
  assert.equal(validatePodSpec(s, path('spec', 'template', 'spec')).map(errorString)[0]?.startsWith('spec.template.spec.securityContext.sysctls[0].name: Invalid value: "bad name"'), true);
});

test('windowsOptions: gmsaCredentialSpecName, gmsaCredentialSpec and runAsUserName rules', () => {
  const w = (windowsOptions: unknown) => errs(spec((s) => (s.securityContext = { windowsOptions })));
  const p = 'spec.securityContext.windowsOptions';
  assert.deepEqual(w({ gmsaCredentialSpecName: 'Bad_Name' }).map((e) => e.split(': ').slice(0, 3).join(': ')), [`${p}.gmsaCredentialSpecName: Invalid value: "Bad_Name"`]);
  assert.deepEqual(w({ gmsaCredentialSpec: '' }), [`${p}.gmsaCredentialSpec: Invalid value: "": gmsaCredentialSpec cannot be an empty string`]);
  assert.match(w({ gmsaCredentialSpec: 'x'.repeat(64 * 1024 + 1) })[0] ?? '', /gmsaCredentialSpec size must be under 64 KiB$/);
  const u = (name: string) => w({ runAsUserName: name }).map((e) => e.slice(e.lastIndexOf(': ') + 2));
  assert.deepEqual(u(''), ['runAsUserName cannot be an empty string']);
  assert.deepEqual(u('a\tb'), ['runAsUserName cannot contain control characters']);
  assert.deepEqual(u('a\\b\\c'), ['runAsUserName cannot contain more than one backslash']);
  assert.deepEqual(u('.dom\\'), ["runAsUserName's Domain doesn't match the NetBios nor the DNS format", "runAsUserName's User cannot be empty"]);
  assert.deepEqual(u(`${'d'.repeat(256)}\\user`), ["runAsUserName's Domain length must be under 256 characters", "runAsUserName's Domain doesn't match the NetBios nor the DNS format"]);
  assert.deepEqual(u('u'.repeat(105)), ["runAsUserName's User length must not be longer than 104 characters"]);
  assert.deepEqual(u('. .'), ["runAsUserName's User cannot contain only periods or spaces"]);
  assert.deepEqual(w({ runAsUserName: 'us@r' }), [`${p}.runAsUserName: Invalid value: "us@r": runAsUserName's User cannot contain the following characters: "/\\:;|=,+*?<>@[]`]);
  assert.deepEqual(u('NT AUTHORITY\\NETWORK SERVICE'), []);
  assert.deepEqual(u('ContainerUser'), []);
});

test('os: name required and known; a linux pod sets no windowsOptions, a windows pod no Linux-only fields', () => {
  assert.deepEqual(errs(spec((s) => (s.os = {}))), ['spec.os.name: Required value: cannot be empty']);
  assert.deepEqual(errs(spec((s) => (s.os = { name: 'plan9' }))), ['spec.os: Unsupported value: "plan9": supported values: "linux", "windows"']);
  assert.deepEqual(errs(spec((s) => {
    s.os = { name: 'linux' };
    s.securityContext = { windowsOptions: { runAsUserName: 'u' } };
    ctr(s).securityContext = { windowsOptions: { runAsUserName: 'u' } };
  })), [
    'spec.securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod',
    'spec.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod',
  ]);
  assert.deepEqual(errs(spec((s) => {
    s.os = { name: 'windows' };
    s.hostIPC = true;
    s.securityContext = { runAsUser: 1, sysctls: [{ name: 'kernel.sem', value: '1' }] };
    ctr(s).securityContext = { privileged: false, runAsGroup: 1 };
  })), [
    "spec.securityContext.sysctls[0].name: Invalid value: \"kernel.sem\": may not be specified when 'hostIPC' is true",
    'spec.hostIPC: Forbidden: cannot be set for a windows pod',
    'spec.securityContext.sysctls: Forbidden: cannot be set for a windows pod',
    'spec.securityContext.runAsUser: Forbidden: cannot be set for a windows pod',
    'spec.containers[0].securityContext.privileged: Forbidden: cannot be set for a windows pod',
    'spec.containers[0].securityContext.runAsGroup: Forbidden: cannot be set for a windows pod',
  ]);
});

test('windows hostProcess: all containers or none, identical to the pod\'s, with hostNetwork', () => {
  assert.deepEqual(errsAllowed(spec((s) => {
    s.os = { name: 'windows' };
    s.securityContext = { windowsOptions: { hostProcess: true } };
    s.containers.push({ ...ctr(s), name: 'b', securityContext: { windowsOptions: { hostProcess: false } } });
  })), [
    'spec.containers[1].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true',
    'spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers',
    'spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers',
  ]);
  assert.deepEqual(errsAllowed(spec((s) => Object.assign(s, { os: { name: 'windows' }, hostNetwork: true, securityContext: { windowsOptions: { hostProcess: true } } }))), []);
});

test('what pods carry today stays valid: restricted-profile contexts, safe sysctls, hostNetwork with defaulted ports', () => {
  assert.deepEqual(errs(spec((s) => {
    s.securityContext = { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 2147483647' }] };
    ctr(s).securityContext = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, seLinuxOptions: { level: 's0:c123,c456' } };
  })), []);
  assert.deepEqual(errsAllowed(spec((s) => Object.assign(s, { hostNetwork: true, hostPID: true, hostIPC: true }) && (ctr(s).securityContext = { privileged: true }))), []);
});

test('privileged containers and hostProcess pods: "disallowed by cluster policy" unless --allow-privileged (upstream\'s default false)', () => {
  // Upstream reports it first among the container's securityContext errors, in every kind of container.
  const priv = spec((s) => {
    ctr(s).securityContext = { privileged: true, runAsUser: -1 };
    s.initContainers = [{ ...ctr(s), name: 'init', securityContext: { privileged: true } }];
  });
  assert.deepEqual(errs(priv), [
    'spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy',
    `spec.containers[0].securityContext.runAsUser: Invalid value: -1: ${RANGE}`,
    'spec.initContainers[0].securityContext.privileged: Forbidden: disallowed by cluster policy',
  ]);
  assert.deepEqual(errsAllowed(priv), [`spec.containers[0].securityContext.runAsUser: Invalid value: -1: ${RANGE}`]);
  // privileged: false is no request; templates (Deployments, Jobs, ...) are held to the same policy.
  assert.deepEqual(errs(spec((s) => (ctr(s).securityContext = { privileged: false }))), []);
  const template = validatePodTemplateSpec({ metadata: {}, spec: spec((s) => (ctr(s).securityContext = { privileged: true })) }, path('spec', 'template')).map(errorString);
  assert.deepEqual(template, ['spec.template.spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy']);
  // A Windows hostProcess pod (otherwise valid) is refused at the spec, after the other hostProcess rules.
  const hostProcess = spec((s) => Object.assign(s, { os: { name: 'windows' }, hostNetwork: true, securityContext: { windowsOptions: { hostProcess: true } } }));
  assert.deepEqual(errs(hostProcess), ['spec: Forbidden: hostProcess containers are disallowed by cluster policy']);
  assert.deepEqual(errsAllowed(hostProcess), []);
  // The setting is scoped to the call: nothing leaks out of withCapabilities.
  assert.deepEqual(errs(spec((s) => (ctr(s).securityContext = { privileged: true }))), ['spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy']);
});
