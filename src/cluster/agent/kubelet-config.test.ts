import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKubeletConfig, withKubeletConfig } from './kubelet-config.ts';

const HEAD = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

test('KubeletConfiguration fields become the flags they stand for, in the flags\' forms', () => {
  const cfg = parseKubeletConfig(`${HEAD}maxPods: 50
podPidsLimit: 1024
clusterDomain: corp.internal
clusterDNS: [10.96.0.10, 10.96.0.11]
evictionHard: { memory.available: 200Mi, nodefs.available: "5%" }
evictionSoft: { memory.available: 500Mi }
evictionSoftGracePeriod: { memory.available: 1m30s }
evictionPressureTransitionPeriod: 30s
systemReserved: { cpu: 500m, memory: 1Gi }
enforceNodeAllocatable: [pods]
allowedUnsafeSysctls: ["net.core.somaxconn", "kernel.msg*"]
imageGCHighThresholdPercent: 90
imageGCLowThresholdPercent: 70
imageMinimumGCAge: 5m
registerWithTaints:
- { key: dedicated, value: gpu, effect: NoSchedule }
`);
  assert.deepEqual(Object.fromEntries(cfg.flags), {
    'max-pods': '50', 'pod-max-pids': '1024', 'cluster-domain': 'corp.internal', 'cluster-dns': '10.96.0.10,10.96.0.11',
    'eviction-hard': 'memory.available<200Mi,nodefs.available<5%', 'eviction-soft': 'memory.available<500Mi', 'eviction-soft-grace-period': 'memory.available=1m30s',
    'eviction-pressure-transition-period': '30s', 'system-reserved': 'cpu=500m,memory=1Gi', 'enforce-node-allocatable': 'pods',
    'allowed-unsafe-sysctls': 'net.core.somaxconn,kernel.msg*', 'image-gc-high-threshold': '90', 'image-gc-low-threshold': '70', 'minimum-image-ttl-duration': '5m',
  });
  assert.deepEqual(cfg.registerWithTaints, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
  // JSON is YAML too; zero values the kubelet defaults (maxPods 0, a 0s period) are as if absent.
  assert.deepEqual(Object.fromEntries(parseKubeletConfig('{"apiVersion":"kubelet.config.k8s.io/v1beta1","kind":"KubeletConfiguration","maxPods":0,"imageMinimumGCAge":"0s","evictionMaxPodGracePeriod":0}').flags), { 'eviction-max-pod-grace-period': '0' });
});

test('a flag on the command line wins over the file; the file fills the rest', () => {
  const file = parseKubeletConfig(`${HEAD}maxPods: 50\nclusterDomain: corp.internal\n`);
  const merged = withKubeletConfig(new Map([['max-pods', ['20']], ['node', ['n1']]]), file);
  assert.deepEqual(Object.fromEntries(merged), { 'max-pods': ['20'], node: ['n1'], 'cluster-domain': ['corp.internal'] });
  // --cluster-dns-address, the agent's older name for the DNS address, on the command line wins over clusterDNS too.
  const dns = parseKubeletConfig(`${HEAD}clusterDNS: [10.96.0.10]\n`);
  assert.deepEqual(Object.fromEntries(withKubeletConfig(new Map([['cluster-dns-address', ['169.254.20.10']]]), dns)), { 'cluster-dns-address': ['169.254.20.10'] });
  assert.deepEqual(Object.fromEntries(withKubeletConfig(new Map(), dns)), { 'cluster-dns': ['10.96.0.10'] });
});

test('strict: an unknown field is upstream\'s strict decoding error; a known field the agent does not implement is refused by name', () => {
  assert.throws(() => parseKubeletConfig(`${HEAD}maxPod: 10\nclusterDomian: x\n`), { message: 'strict decoding error: unknown field "maxPod", unknown field "clusterDomian"' });
  assert.throws(() => parseKubeletConfig(`${HEAD}registerWithTaints: [{ key: k, effect: NoSchedule, efect: x }]\n`), { message: 'strict decoding error: unknown field "registerWithTaints[0].efect"' });
  assert.throws(() => parseKubeletConfig(`${HEAD}cgroupDriver: systemd\nmaxPods: 10\n`), { message: 'KubeletConfiguration field "cgroupDriver" not implemented by portcullis agent: remove it (a setting accepted and not honoured would be worse)' });
  assert.throws(() => parseKubeletConfig(`${HEAD}authentication: {}\nstaticPodPath: /etc/kubernetes/manifests\n`), /fields "authentication", "staticPodPath" not implemented/);
});

test('wrong kind, version, types and taints are refused with the decoder\'s and ValidateKubeletConfiguration\'s words', () => {
  assert.throws(() => parseKubeletConfig('apiVersion: kubelet.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n'), { message: 'failed to decode: no kind "KubeletConfiguration" is registered for version "kubelet.config.k8s.io/v1alpha1"' });
  assert.throws(() => parseKubeletConfig('apiVersion: kubelet.config.k8s.io/v1beta1\n'), /^Error: failed to decode: Object 'Kind' is missing/);
  assert.throws(() => parseKubeletConfig(`${HEAD}maxPods: "ten"\n`), { message: 'failed to decode: json: cannot unmarshal string into Go struct field KubeletConfiguration.maxPods of type int32' });
  assert.throws(() => parseKubeletConfig(`${HEAD}evictionHard: [a]\n`), { message: 'failed to decode: json: cannot unmarshal array into Go struct field KubeletConfiguration.evictionHard of type map[string]string' });
  assert.throws(() => parseKubeletConfig(`${HEAD}podPidsLimit: 1.5\n`), { message: 'failed to decode: json: cannot unmarshal number into Go struct field KubeletConfiguration.podPidsLimit of type int64' });
  assert.throws(() => parseKubeletConfig(`${HEAD}maxPods: 1\nmaxPods: 2\n`), /^Error: failed to decode: Map keys must be unique/);
  assert.throws(() => parseKubeletConfig(`${HEAD}registerWithTaints: [{ key: k, effect: Maybe }, { key: "a b", effect: NoSchedule }]\n`), { message: 'failed to validate kubelet configuration, error: [invalid taint: {k  Maybe <nil>}, invalid taint: {a b  NoSchedule <nil>}]' });
});

test('the heartbeat and resync periods: fields of the agent\'s timers, with v1beta1\'s defaulting of the report period and the lease\'s validation', () => {
  const all = parseKubeletConfig(`${HEAD}syncFrequency: 30s\nnodeStatusUpdateFrequency: 4s\nnodeStatusReportFrequency: 1m\nnodeLeaseDurationSeconds: 20\n`);
  assert.deepEqual(Object.fromEntries(all.flags), { 'sync-frequency': '30s', 'node-status-update-frequency': '4s', 'node-status-report-frequency': '1m', 'node-lease-duration-seconds': '20' });
  // nodeStatusReportFrequency unset follows an explicit nodeStatusUpdateFrequency ("for backward compatibility").
  assert.deepEqual(Object.fromEntries(parseKubeletConfig(`${HEAD}nodeStatusUpdateFrequency: 20s\n`).flags), { 'node-status-update-frequency': '20s', 'node-status-report-frequency': '20s' });
  // Zero is the default (SetDefaults), for each of them.
  assert.deepEqual(Object.fromEntries(parseKubeletConfig(`${HEAD}syncFrequency: 0s\nnodeStatusUpdateFrequency: "0"\nnodeStatusReportFrequency: 0s\nnodeLeaseDurationSeconds: 0\n`).flags), {});
  assert.throws(() => parseKubeletConfig(`${HEAD}nodeLeaseDurationSeconds: -5\n`), { message: 'failed to validate kubelet configuration, error: invalid configuration: nodeLeaseDurationSeconds must be greater than 0' });
  assert.throws(() => parseKubeletConfig(`${HEAD}syncFrequency: 30\n`), { message: 'failed to decode: json: cannot unmarshal number into Go struct field KubeletConfiguration.syncFrequency of type v1.Duration' });
});
