import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  activeChecks, denialMessage, evaluatePod, forbiddenDetail, forbiddenReason, wouldViolateMessage,
} from './evaluate.ts';
import type { Level, PodSpecLike } from './types.ts';

const c = (extra: object = {}) => ({ name: 'c', image: 'nginx', ...extra });
const restrictedContainerSc = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
const restrictedOk = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [c({ securityContext: restrictedContainerSc })],
};

test('denial messages for hand-made pods', async (t) => {
  const cases: Array<{ name: string; level: Level; version: string; spec: PodSpecLike; want: string | null }> = [
    {
      name: 'a bare pod at restricted:latest (the message users see most)',
      level: 'restricted', version: 'latest', spec: { containers: [c()] },
      want: 'violates PodSecurity "restricted:latest": ' +
        'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    },
    {
      name: 'baseline checks come first, each group sorted by check ID',
      level: 'restricted', version: 'v1.30',
      spec: {
        ...restrictedOk,
        hostNetwork: true,
        hostPID: true,
        containers: [c({
          ports: [{ hostPort: 9000 }, { hostPort: 80 }],
          securityContext: { ...restrictedContainerSc, privileged: true, runAsUser: 0 },
        })],
      },
      want: 'violates PodSecurity "restricted:v1.30": host namespaces (hostNetwork=true, hostPID=true), ' +
        'hostPort (container "c" uses hostPorts 80, 9000), privileged (container "c" must not set securityContext.privileged=true), ' +
        'runAsUser=0 (container "c" must not set runAsUser=0)',
    },
    {
      name: 'baseline ignores restricted-only fields',
      level: 'baseline', version: 'latest', spec: { containers: [c()] }, want: null,
    },
    {
      name: 'several containers, init first, plural wording',
      level: 'baseline', version: 'v1.30',
      spec: {
        initContainers: [{ name: 'i', securityContext: { capabilities: { add: ['SYS_ADMIN', 'CHOWN'] } } }],
        containers: [{ name: 'a', securityContext: { capabilities: { add: ['NET_RAW', 'SYS_ADMIN'] } } }],
      },
      want: 'violates PodSecurity "baseline:v1.30": non-default capabilities ' +
        '(containers "i", "a" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    },
    {
      name: 'capabilities before v1.22 are judged by the baseline check even at restricted',
      level: 'restricted', version: 'v1.21',
      spec: { ...restrictedOk, containers: [c({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'] } } })] },
      want: 'violates PodSecurity "restricted:v1.21": non-default capabilities ' +
        '(container "c" must not include "NET_ADMIN" in securityContext.capabilities.add)',
    },
    {
      name: 'sysctl allowed list grows: tcp_rmem denied at v1.31',
      level: 'baseline', version: 'v1.31',
      spec: { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem' }, { name: 'kernel.msgmax' }] }, containers: [c()] },
      want: 'violates PodSecurity "baseline:v1.31": forbidden sysctls (net.ipv4.tcp_rmem, kernel.msgmax)',
    },
    {
      name: 'sysctl allowed list grows: tcp_rmem allowed at v1.32',
      level: 'baseline', version: 'v1.32',
      spec: { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem' }] }, containers: [c()] },
      want: null,
    },
    {
      name: 'Windows pods skip the Linux-only restricted checks from v1.25',
      level: 'restricted', version: 'v1.25',
      spec: { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [c()] },
      want: null,
    },
    {
      name: '... but not before',
      level: 'restricted', version: 'v1.24',
      spec: { os: { name: 'windows' }, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [c()] },
      want: 'violates PodSecurity "restricted:v1.24": ' +
        'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"])',
    },
    {
      name: 'hostUsers: false relaxes runAsNonRoot and runAsUser from v1.35',
      level: 'restricted', version: 'v1.35',
      spec: { ...restrictedOk, hostUsers: false, securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } },
      want: null,
    },
    {
      name: '... and not at v1.34',
      level: 'restricted', version: 'v1.34',
      spec: { ...restrictedOk, hostUsers: false, securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } },
      want: 'violates PodSecurity "restricted:v1.34": runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
        'runAsUser=0 (pod must not set runAsUser=0)',
    },
    {
      name: 'an unparseable version evaluates as latest but is printed as given',
      level: 'baseline', version: 'v2.0',
      spec: { containers: [c({ startupProbe: { httpGet: { host: 'localhost' } } })] },
      want: 'violates PodSecurity "baseline:v2.0": probe or lifecycle host (container "c" uses probe or lifecycle host "localhost")',
    },
    { name: 'privileged allows anything', level: 'privileged', version: 'latest', spec: { hostPID: true, containers: [c()] }, want: null },
  ];
  for (const tc of cases) {
    await t.test(tc.name, () => {
      const res = evaluatePod(tc.level, tc.version, {}, tc.spec);
      assert.equal(res.allowed, tc.want === null);
      assert.equal(res.allowed ? null : denialMessage(tc.level, tc.version, res.results), tc.want);
    });
  }
});

test('aggregation mirrors upstream ForbiddenReason/ForbiddenDetail', () => {
  const results = [
    { check: 'hostPorts', reason: 'host ports', detail: '8080, 9090' },
    { check: 'privileged', reason: 'privileged containers', detail: '' },
    { check: 'capabilities_baseline', reason: 'non-default capabilities', detail: 'NET_RAW' },
  ];
  assert.equal(forbiddenDetail(results), 'host ports (8080, 9090), privileged containers, non-default capabilities (NET_RAW)');
  assert.equal(forbiddenReason(results), 'host ports, privileged containers, non-default capabilities');
  assert.equal(wouldViolateMessage('baseline', 'v1.30', results.slice(1, 2)), 'would violate PodSecurity "baseline:v1.30": privileged containers');
});

test('results carry the check ID, and nil pods are treated as empty', () => {
  const res = evaluatePod('restricted', 'latest', null, { containers: [c()] });
  assert.deepEqual(res.results.map((r) => r.check), [
    'allowPrivilegeEscalation', 'capabilities_restricted', 'runAsNonRoot', 'seccompProfile_restricted',
  ]);
  assert.equal(evaluatePod('restricted', 'latest', undefined, undefined).allowed, true);
});

test('active checks per level and version', () => {
  assert.deepEqual(activeChecks('privileged', 'latest'), []);
  assert.deepEqual(activeChecks('baseline', 'v1.0'), [
    'appArmorProfile', 'capabilities_baseline', 'hostNamespaces', 'hostPathVolumes', 'hostPorts', 'privileged',
    'procMount', 'seLinuxOptions', 'seccompProfile_baseline', 'sysctls', 'windowsHostProcess',
  ]);
  assert.deepEqual(activeChecks('restricted', 'latest'), [
    'appArmorProfile', 'hostNamespaces', 'hostPorts', 'hostProbesAndHostLifecycle', 'privileged', 'seLinuxOptions',
    'sysctls', 'windowsHostProcess', 'allowPrivilegeEscalation', 'capabilities_restricted', 'procMount_restricted',
    'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted',
  ]);
});
