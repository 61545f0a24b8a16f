import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropDisabledPodFields, dropDisabledPodSpecFields } from './pod-gated-fields.ts';
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { K8sObject } from './objects.ts';

const claims = () => ({
  resourceClaims: [{ name: 'gpu', resourceClaimName: 'c' }],
  containers: [{ name: 'app', resources: { limits: { cpu: '1' }, claims: [{ name: 'gpu' }] } }],
  ephemeralContainers: [{ name: 'dbg', resources: { claims: [{ name: 'gpu' }] } }],
});

test('DynamicResourceAllocation (off): claims dropped unless the stored spec has resourceClaims', () => {
  const spec = claims();
  const out = dropDisabledPodSpecFields(spec, undefined);
  assert.deepEqual(out, { containers: [{ name: 'app', resources: { limits: { cpu: '1' } } }], ephemeralContainers: [{ name: 'dbg', resources: {} }] });
  assert.deepEqual(spec, claims(), 'the written spec is not mutated');
  assert.equal(dropDisabledPodSpecFields(spec, { resourceClaims: [{ name: 'x' }] }), spec, 'in use: kept as is');
  assert.notEqual(dropDisabledPodSpecFields(spec, { resourceClaims: [] }), spec, 'an empty list is not in use');
  // Container claims alone (no pod-level entry) are dropped too.
  assert.deepEqual(dropDisabledPodSpecFields({ containers: [{ name: 'a', resources: { claims: [] } }] }, undefined), { containers: [{ name: 'a', resources: {} }] });
});

test('PodLevelResources (off): spec.resources dropped unless the stored one has requests or limits', () => {
  assert.deepEqual(dropDisabledPodSpecFields({ resources: { limits: { cpu: '1' } }, containers: [] }, undefined), { containers: [] });
  assert.deepEqual(dropDisabledPodSpecFields({ resources: {} }, { resources: {} }), {});
  const kept = { resources: { requests: { cpu: '2' } } };
  assert.equal(dropDisabledPodSpecFields(kept, { resources: { limits: { memory: '1Gi' } } }), kept);
});

test('ImageVolume (off): image volumes and their mounts dropped; lists left empty are removed', () => {
  const spec = {
    volumes: [{ name: 'img', image: { reference: 'r' } }, { name: 'd', emptyDir: {} }],
    initContainers: [{ name: 'i', volumeMounts: [{ name: 'img', mountPath: '/i' }] }],
    containers: [{ name: 'a', volumeMounts: [{ name: 'd', mountPath: '/d' }, { name: 'img', mountPath: '/i' }] }],
  };
  assert.deepEqual(dropDisabledPodSpecFields(spec, undefined), {
    volumes: [{ name: 'd', emptyDir: {} }],
    initContainers: [{ name: 'i' }],
    containers: [{ name: 'a', volumeMounts: [{ name: 'd', mountPath: '/d' }] }],
  });
  assert.deepEqual(dropDisabledPodSpecFields({ volumes: [{ name: 'img', image: {} }] }, undefined), {});
  assert.equal(dropDisabledPodSpecFields(spec, { volumes: [{ name: 'x', image: {} }] }), spec);
});

test('ClusterTrustBundleProjection (off): the source loses clusterTrustBundle, the entry stays', () => {
  const spec = { volumes: [{ name: 'p', projected: { sources: [{ clusterTrustBundle: { name: 'b', path: 'p' } }, { configMap: { name: 'c' } }] } }] };
  assert.deepEqual(dropDisabledPodSpecFields(spec, undefined), { volumes: [{ name: 'p', projected: { sources: [{}, { configMap: { name: 'c' } }] } }] });
  assert.equal(dropDisabledPodSpecFields(spec, spec), spec);
});

test('ContainerStopSignals (off): stopSignal dropped, an emptied lifecycle with it', () => {
  const spec = { containers: [{ name: 'a', lifecycle: { stopSignal: 'SIGUSR1' } }, { name: 'b', lifecycle: { stopSignal: 'SIGTERM', preStop: { sleep: { seconds: 1 } } } }] };
  assert.deepEqual(dropDisabledPodSpecFields(spec, undefined), { containers: [{ name: 'a' }, { name: 'b', lifecycle: { preStop: { sleep: { seconds: 1 } } } }] });
  assert.equal(dropDisabledPodSpecFields(spec, { ephemeralContainers: [{ name: 'e', lifecycle: { stopSignal: 'SIGINT' } }] }), spec);
});

test('fields of gates on in 1.33 are kept (hostUsers, supplementalGroupsPolicy, procMount, resizePolicy, recursiveReadOnly...)', () => {
  const spec = {
    hostUsers: false,
    securityContext: { supplementalGroupsPolicy: 'Strict', seLinuxChangePolicy: 'Recursive' },
    initContainers: [{ name: 'i', restartPolicy: 'Always' }],
    containers: [{ name: 'a', resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }], securityContext: { procMount: 'Unmasked' }, volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: true, recursiveReadOnly: 'Enabled' }], lifecycle: { preStop: { sleep: { seconds: 0 } } } }],
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'k', whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['a'], nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Honor' }],
  };
  assert.equal(dropDisabledPodSpecFields(spec, undefined), spec);
});

const def = (group: string, kind: string): ResourceDef => ({ group, kind }) as ResourceDef;

test('pod templates of every template-bearing kind are treated as pods; the path to the spec is copied', () => {
  const cron = { metadata: { name: 'c' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { metadata: {}, spec: claims() } } } } } as unknown as K8sObject;
  const sharedJobTemplate = cron.spec.jobTemplate;
  dropDisabledPodFields(def('batch', 'CronJob'), cron, undefined);
  assert.equal(cron.spec.jobTemplate.spec.template.spec.resourceClaims, undefined);
  assert.equal(sharedJobTemplate.spec.template.spec.resourceClaims.length, 1, 'what the write shared is untouched');
  for (const [g, k] of [['apps', 'Deployment'], ['apps', 'ReplicaSet'], ['apps', 'StatefulSet'], ['apps', 'DaemonSet'], ['batch', 'Job'], ['', 'ReplicationController']] as const) {
    const o = { metadata: {}, spec: { template: { spec: claims() } } } as unknown as K8sObject;
    dropDisabledPodFields(def(g, k), o, undefined);
    assert.equal(o.spec.template.spec.resourceClaims, undefined, k);
    const old = { metadata: {}, spec: { template: { spec: claims() } } } as unknown as K8sObject;
    const kept = { metadata: {}, spec: { template: { spec: claims() } } } as unknown as K8sObject;
    dropDisabledPodFields(def(g, k), kept, old);
    assert.equal(kept.spec.template.spec.resourceClaims.length, 1, `${k}: in use by the stored template`);
  }
  const pt = { metadata: {}, template: { spec: claims() } } as unknown as K8sObject;
  dropDisabledPodFields(def('', 'PodTemplate'), pt, undefined);
  assert.equal(pt.template.spec.resourceClaims, undefined);
  const pod = { metadata: {}, spec: claims() } as unknown as K8sObject;
  dropDisabledPodFields(def('', 'Pod'), pod, undefined);
  assert.equal(pod.spec.resourceClaims, undefined);
  const rc = { metadata: {}, spec: { template: null } } as unknown as K8sObject;
  dropDisabledPodFields(def('', 'ReplicationController'), rc, undefined);
  assert.equal(rc.spec.template, null, 'no template: nothing to do');
  const other = { metadata: {}, spec: claims() } as unknown as K8sObject;
  dropDisabledPodFields(def('', 'Service'), other, undefined);
  assert.equal(other.spec.resourceClaims.length, 1, 'other kinds are not touched');
});
