/** Single-check details, against the expectations in upstream's policy/check_*_test.go. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { PodMetaLike, PodSpecLike } from '../types.ts';
import { DEFAULT_CHECKS } from './index.ts';

/** Runs the revision of check `id` in force at v1.<minor>. */
function run(id: string, minor: number, spec: object, meta: PodMetaLike = {}) {
  const def = DEFAULT_CHECKS.find((c) => c.id === id);
  assert.ok(def, id);
  const rev = def.versions.filter((v) => v.minVersion <= minor).at(-1);
  assert.ok(rev, `${id} at v1.${minor}`);
  return rev.check(meta, spec as PodSpecLike);
}

const sc = (name: string, securityContext: object) => ({ name, securityContext });

// Specs are plain objects (decoded JSON), so volume sources are not declared on VolumeLike.
const cases: Array<{ name: string; id: string; minor: number; spec: object; meta?: PodMetaLike; reason?: string; detail?: string }> = [
  {
    name: 'allowPrivilegeEscalation: unset, empty and true are all bad',
    id: 'allowPrivilegeEscalation', minor: 25,
    spec: { containers: [{ name: 'a' }, sc('b', {}), sc('c', { allowPrivilegeEscalation: true }), sc('d', { allowPrivilegeEscalation: false })] },
    reason: 'allowPrivilegeEscalation != false',
    detail: 'containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false',
  },
  {
    name: 'capabilities_restricted: both halves joined with "; "',
    id: 'capabilities_restricted', minor: 25,
    spec: {
      containers: [
        { name: 'a' },
        sc('b', { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'SYS_TIME'] } }),
        sc('c', { capabilities: { add: ['CHOWN'] } }),
      ],
    },
    reason: 'unrestricted capabilities',
    detail: 'containers "a", "c" must set securityContext.capabilities.drop=["ALL"]; ' +
      'containers "b", "c" must not include "CHOWN", "SYS_TIME" in securityContext.capabilities.add',
  },
  {
    name: 'restrictedVolumes: every restricted type, and a source-less volume is "unknown"',
    id: 'restrictedVolumes', minor: 0,
    spec: {
      volumes: [
        { name: 'a1', emptyDir: {} }, { name: 'a2', secret: {} }, { name: 'a3', persistentVolumeClaim: {} },
        { name: 'a4', downwardAPI: {} }, { name: 'a5', configMap: {} }, { name: 'a6', projected: {} },
        { name: 'a7', csi: {} }, { name: 'a8', ephemeral: {} }, { name: 'a9', image: {} },
        ...['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd',
          'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk',
          'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'].map((k, i) => ({ name: `b${i + 1}`, [k]: {} })),
        { name: 'c1' },
      ],
    },
    reason: 'restricted volume types',
    detail: 'volumes "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15", ' +
      '"b16", "b17", "b18", "b19", "b20", "b21", "c1" use restricted volume types "awsElasticBlockStore", "azureDisk", ' +
      '"azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", ' +
      '"hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", ' +
      '"unknown", "vsphereVolume"',
  },
  {
    name: 'appArmorProfile: annotations, sorted, with Go-quoted values',
    id: 'appArmorProfile', minor: 0, spec: {},
    meta: {
      annotations: {
        'container.apparmor.security.beta.kubernetes.io/': 'bogus',
        'container.apparmor.security.beta.kubernetes.io/a': '',
        'container.apparmor.security.beta.kubernetes.io/b': 'runtime/default',
        'container.apparmor.security.beta.kubernetes.io/c': 'localhost/',
        'container.apparmor.security.beta.kubernetes.io/d': 'localhost/foo',
        'container.apparmor.security.beta.kubernetes.io/f': 'unknown',
        'container.apparmor.security.beta.kubernetes.io/e': 'unconfined',
      },
    },
    reason: 'forbidden AppArmor profiles',
    detail: 'annotations must not set AppArmor profile type to ' +
      '"container.apparmor.security.beta.kubernetes.io/="bogus"", ' +
      '"container.apparmor.security.beta.kubernetes.io/e="unconfined"", ' +
      '"container.apparmor.security.beta.kubernetes.io/f="unknown""',
  },
  {
    name: 'appArmorProfile: init container field',
    id: 'appArmorProfile', minor: 0,
    spec: { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'foo' }], initContainers: [sc('bar', { appArmorProfile: { type: 'Unconfined' } })] },
    reason: 'forbidden AppArmor profile',
    detail: 'container "bar" must not set AppArmor profile type to "Unconfined"',
  },
  {
    name: 'hostProbesAndHostLifecycle: containers and hosts de-duplicated and sorted',
    id: 'hostProbesAndHostLifecycle', minor: 34,
    spec: {
      containers: [
        { name: 'valid' },
        { name: 'invalid1', livenessProbe: { httpGet: { host: 'a.com' } } },
        { name: 'invalid2', lifecycle: { preStop: { tcpSocket: { host: 'b.com' } } }, startupProbe: { httpGet: { host: 'a.com' } } },
      ],
    },
    reason: 'probe or lifecycle host',
    detail: 'containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com"',
  },
  {
    name: 'seLinuxOptions v1.31 also allows container_engine_t',
    id: 'seLinuxOptions', minor: 31,
    spec: {
      securityContext: { seLinuxOptions: { type: 'foo', user: 'bar', role: 'baz' } },
      containers: [
        sc('a', { seLinuxOptions: { type: 'container_t' } }), sc('b', { seLinuxOptions: { type: 'container_engine_t' } }),
        sc('e', { seLinuxOptions: { type: 'bar' } }), sc('f', { seLinuxOptions: { user: 'bar' } }), sc('g', { seLinuxOptions: { role: 'baz' } }),
      ],
    },
    reason: 'seLinuxOptions',
    detail: 'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
  },
  {
    name: 'seLinuxOptions v1.0 rejects container_engine_t; user alone is reported',
    id: 'seLinuxOptions', minor: 30,
    spec: { containers: [sc('a', { seLinuxOptions: { type: 'container_engine_t' } }), sc('b', { seLinuxOptions: { user: 'u' } })] },
    reason: 'seLinuxOptions',
    detail: 'containers "a", "b" set forbidden securityContext.seLinuxOptions: type "container_engine_t"; user may not be set',
  },
  {
    name: 'seccompProfile_restricted: explicit bad values win over missing ones',
    id: 'seccompProfile_restricted', minor: 25,
    spec: {
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [{ name: 'a' }, sc('c', { seccompProfile: { type: 'Unconfined' } }), sc('d', { seccompProfile: { type: 'Unconfined' } })],
    },
    reason: 'seccompProfile',
    detail: 'pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
  },
  {
    name: 'seccompProfile_restricted: missing everywhere',
    id: 'seccompProfile_restricted', minor: 19,
    spec: { containers: [{ name: 'a' }, sc('b', {}), sc('d', { seccompProfile: { type: 'RuntimeDefault' } })] },
    reason: 'seccompProfile',
    detail: 'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
  },
  {
    name: 'seccompProfile_baseline before v1.19 reads the alpha annotations',
    id: 'seccompProfile_baseline', minor: 18,
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    meta: {
      annotations: {
        'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
        'container.seccomp.security.alpha.kubernetes.io/a': 'docker/default',
        'container.seccomp.security.alpha.kubernetes.io/b': '',
      },
    },
    reason: 'seccompProfile',
    detail: 'forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="", seccomp.security.alpha.kubernetes.io/pod="unconfined"',
  },
  {
    name: 'runAsNonRoot: explicit false is reported before missing',
    id: 'runAsNonRoot', minor: 0,
    spec: { containers: [{ name: 'a' }, sc('c', { runAsNonRoot: false }), sc('d', { runAsNonRoot: false }), sc('e', { runAsNonRoot: true })] },
    reason: 'runAsNonRoot != true',
    detail: 'containers "c", "d" must not set securityContext.runAsNonRoot=false',
  },
  {
    name: 'hostPorts sort as strings, as upstream\'s string set does',
    id: 'hostPorts', minor: 0,
    spec: { containers: [{ name: 'a', ports: [{ hostPort: 9 }, { hostPort: 10 }] }, { name: 'b', ports: [{ hostPort: 10 }, { hostPort: 0 }] }] },
    reason: 'hostPort',
    detail: 'containers "a", "b" use hostPorts 10, 9',
  },
  {
    name: 'windowsHostProcess: pod and containers',
    id: 'windowsHostProcess', minor: 0,
    spec: { securityContext: { windowsOptions: { hostProcess: true } }, containers: [sc('a', { windowsOptions: { hostProcess: true } })] },
    reason: 'hostProcess',
    detail: 'pod and container "a" must not set securityContext.windowsOptions.hostProcess=true',
  },
  {
    name: 'procMount before v1.35 ignores hostUsers',
    id: 'procMount', minor: 34,
    spec: { hostUsers: false, containers: [sc('a', { procMount: 'Unmasked' }), sc('b', { procMount: 'Default' })] },
    reason: 'procMount',
    detail: 'container "a" must not set securityContext.procMount to "Unmasked"',
  },
  { name: 'procMount from v1.35 allows any value with hostUsers: false', id: 'procMount', minor: 35, spec: { hostUsers: false, containers: [sc('a', { procMount: 'Unmasked' })] } },
  {
    name: 'hostPathVolumes',
    id: 'hostPathVolumes', minor: 0,
    spec: { volumes: [{ name: 'a', hostPath: { path: '/' } }, { name: 'b', emptyDir: {} }, { name: 'c', hostPath: { path: '/x' } }] },
    reason: 'hostPath volumes',
    detail: 'volumes "a", "c"',
  },
];

test('single checks', async (t) => {
  for (const tc of cases) {
    await t.test(tc.name, () => {
      const r = run(tc.id, tc.minor, tc.spec, tc.meta);
      assert.deepEqual(
        { allowed: r.allowed, reason: r.forbiddenReason, detail: r.forbiddenDetail },
        { allowed: tc.reason === undefined, reason: tc.reason, detail: tc.detail },
      );
    });
  }
});
