import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errorString } from '../field-errors.ts';
import { validatePod, validatePodUpdate } from './pod.ts';

const AA = 'container.apparmor.security.beta.kubernetes.io/';
const SC_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SC_CTR = 'container.seccomp.security.alpha.kubernetes.io/';

function pod(annotations: Record<string, string>, edit: (s: any) => void = () => {}): Pod {
  const spec: any = {
    restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, securityContext: {},
    containers: [{ name: 'app', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }],
  };
  edit(spec);
  return { metadata: { name: 'p', namespace: 'default', annotations, resourceVersion: '1' }, spec };
}
const errs = (p: Pod) => validatePod(p).map(errorString);

test('seccomp annotations: known profiles or localhost/<relative path> (paths named with Child, as upstream)', () => {
  assert.deepEqual(errs(pod({ [SC_POD]: 'runtime/default', [`${SC_CTR}app`]: 'docker/default' })), []);
  assert.deepEqual(errs(pod({ [SC_POD]: 'localhost/profiles/a.json', [`${SC_CTR}app`]: 'unconfined' })), []);
  assert.deepEqual(errs(pod({ [SC_POD]: 'strict', [`${SC_CTR}app`]: 'localhost//etc/../a.json' })), [
    `metadata.annotations.${SC_POD}: Invalid value: "strict": must be a valid seccomp profile`,
    `metadata.annotations.${SC_CTR}app: Invalid value: "/etc/../a.json": must be a relative path`,
    `metadata.annotations.${SC_CTR}app: Invalid value: "/etc/../a.json": must not contain '..'`,
  ]);
});

test('AppArmor annotations: a known container and a valid profile name', () => {
  assert.deepEqual(errs(pod({ [`${AA}app`]: 'localhost/k8s-apparmor' })), []);
  assert.deepEqual(errs(pod({ [`${AA}ghost`]: 'runtime/default', [`${AA}app`]: 'strict' })), [
    `metadata.annotations[${AA}ghost]: Invalid value: "ghost": container not found`,
    `metadata.annotations[${AA}app]: Invalid value: "strict": invalid AppArmor profile name: "strict"`,
  ]);
});

test('on create an annotation and a field for the same container must agree', () => {
  assert.deepEqual(errs(pod({ [SC_POD]: 'unconfined', [`${SC_CTR}app`]: 'localhost/a.json', [`${AA}app`]: 'runtime/default' }, (s) => {
    s.securityContext = { seccompProfile: { type: 'RuntimeDefault' }, appArmorProfile: { type: 'Unconfined' } };
    s.containers[0].securityContext = { seccompProfile: { type: 'Localhost', localhostProfile: 'b.json' } };
  })), [
    'spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match',
    'spec.containers[0].securityContext.seccompProfile.localhostProfile: Forbidden: seccomp profile in annotation and field must match',
    // The pod-level AppArmor field is the container's when it has none of its own.
    'spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match',
  ]);
  assert.deepEqual(errs(pod({ [SC_POD]: 'docker/default', [`${AA}app`]: 'localhost/x' }, (s) => {
    s.securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
    s.containers[0].securityContext = { appArmorProfile: { type: 'Localhost', localhostProfile: 'x' } };
  })), []);
});

test('updates may neither add, change nor remove the AppArmor or mirror annotations (status writes included)', () => {
  const base = pod({});
  const withAA = pod({ [`${AA}app`]: 'runtime/default' });
  const u = (next: Pod, old: Pod, sub = '') => validatePodUpdate(next, old, sub).map(errorString);
  assert.deepEqual(u(withAA, base), [`metadata.annotations[${AA}app]: Forbidden: may not add AppArmor annotations`]);
  assert.deepEqual(u(base, withAA, 'status'), [`metadata.annotations[${AA}app]: Forbidden: may not remove or update AppArmor annotations`]);
  assert.deepEqual(u(pod({ [`${AA}app`]: 'unconfined' }), withAA), [`metadata.annotations[${AA}app]: Forbidden: may not remove or update AppArmor annotations`]);
  assert.deepEqual(u(withAA, withAA), []);
  // An annotation that disagrees with a field is refused on create only, as upstream.
  const mismatch = pod({ [SC_POD]: 'unconfined' }, (s) => (s.securityContext = { seccompProfile: { type: 'RuntimeDefault' } }));
  assert.deepEqual(u(mismatch, mismatch), []);
});

test('pods/status writes judge the written annotations against the stored spec (ValidatePodSpecificAnnotationUpdates)', () => {
  const stored = pod({});
  const u = (next: Pod) => validatePodUpdate(next, stored, 'status').map(errorString);
  assert.deepEqual(u(pod({ [SC_POD]: 'strict', [`${SC_CTR}app`]: 'localhost/../x' })), [
    `metadata.annotations.${SC_POD}: Invalid value: "strict": must be a valid seccomp profile`,
    `metadata.annotations.${SC_CTR}app: Invalid value: "../x": must not contain '..'`,
  ]);
  assert.deepEqual(u(pod({ [SC_POD]: 'runtime/default' })), []);
  // The mirror annotation is refused twice, as upstream: it may not be added, and the stored spec has no nodeName.
  assert.deepEqual(u(pod({ 'kubernetes.io/config.mirror': 'x' })), [
    'metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not add mirror pod annotation',
    'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "x": must set spec.nodeName if mirror pod annotation is set',
  ]);
});

test('pod-deletion-cost must be an int32 without a sign or leading zero, unless the stored object already had a bad one', () => {
  const DC = 'controller.kubernetes.io/pod-deletion-cost';
  for (const ok of ['0', '-5', '-007', '2147483647', '-2147483648']) assert.deepEqual(errs(pod({ [DC]: ok })), [], ok);
  for (const bad of ['+10', '008', '2147483648', '-2147483649', '1.5', '', '-', ' 1', '99999999999999999999']) {
    assert.deepEqual(errs(pod({ [DC]: bad })), [`metadata.annotations[${DC}]: Invalid value: ${JSON.stringify(bad)}: must be a 32bit integer`], bad);
  }
  const u = (next: Pod, old: Pod, sub = '') => validatePodUpdate(next, old, sub).map(errorString);
  const bad = pod({ [DC]: '+1' });
  const refused = `metadata.annotations[${DC}]: Invalid value: "+1": must be a 32bit integer`;
  // A plain update reports it from validatePodMetadataAndSpec and again from ValidatePodSpecificAnnotationUpdates.
  assert.deepEqual(u(bad, pod({})), [refused, refused]);
  assert.deepEqual(u(bad, pod({}), 'status'), [refused]);
  for (const sub of ['', 'status']) {
    assert.deepEqual(u(pod({ [DC]: 'x' }), bad, sub), [], sub);
  }
});

test('pod templates: ValidatePodSpecificAnnotations on the template, then the annotation/field agreement (not for StatefulSets)', async () => {
  const { validateObject } = await import('../index.ts');
  const DC = 'controller.kubernetes.io/pod-deletion-cost';
  const tmpl = (annotations: Record<string, string>, edit: (s: any) => void = () => {}) => {
    const p = pod(annotations, edit);
    return { metadata: { labels: { app: 'a' }, annotations: p.metadata!.annotations }, spec: p.spec };
  };
  const deploy = (t: object): any => ({ metadata: { name: 'd', namespace: 'default', resourceVersion: '1' }, spec: { replicas: 1, selector: { matchLabels: { app: 'a' } }, strategy: { type: 'Recreate' }, template: t } });
  const sts = (t: object): any => ({ metadata: { name: 's', namespace: 'default' }, spec: { replicas: 1, serviceName: 's', podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'OnDelete' }, selector: { matchLabels: { app: 'a' } }, template: t } });
  const v = (kind: string, o: any, old?: any) => validateObject({ group: 'apps', version: 'v1', kind }, o, old).map(errorString);
  const mismatch = tmpl({ [SC_POD]: 'unconfined', [DC]: '+1', 'kubernetes.io/config.mirror': 'm' }, (s) => (s.securityContext = { seccompProfile: { type: 'RuntimeDefault' } }));
  assert.deepEqual(v('Deployment', deploy(mismatch)), [
    'spec.template.annotations[kubernetes.io/config.mirror]: Invalid value: "m": must set spec.nodeName if mirror pod annotation is set',
    `spec.template.annotations[${DC}]: Invalid value: "+1": must be a 32bit integer`,
    'spec.template.spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match',
  ]);
  assert.deepEqual(v('StatefulSet', sts(tmpl({ [SC_POD]: 'strict', [`${AA}app`]: 'runtime/default' }, (s) => (s.containers[0].securityContext = { appArmorProfile: { type: 'Unconfined' } })))), [
    `spec.template.annotations.${SC_POD}: Invalid value: "strict": must be a valid seccomp profile`,
  ]);
  // A deletion cost stored invalid stays (AllowInvalidPodDeletionCost from the stored template).
  const stored = deploy(tmpl({ [DC]: '007' }));
  const next = structuredClone(stored);
  next.metadata.labels = { x: 'y' };
  assert.deepEqual(v('Deployment', next, stored), []);
  assert.deepEqual(v('Deployment', next, deploy(tmpl({}))), [`spec.template.annotations[${DC}]: Invalid value: "007": must be a 32bit integer`]);
});

test('a pod update reports validatePodMetadataAndSpec first, then ValidatePodSpecificAnnotationUpdates (pod-specific annotation errors twice, as upstream)', () => {
  const stored = pod({});
  const next = pod({ [`${AA}ghost`]: 'strict' }, (s) => (s.activeDeadlineSeconds = 0));
  const inner = [
    `metadata.annotations[${AA}ghost]: Invalid value: "ghost": container not found`,
    `metadata.annotations[${AA}ghost]: Invalid value: "strict": invalid AppArmor profile name: "strict"`,
  ];
  assert.deepEqual(validatePodUpdate(next, stored).map(errorString).slice(0, 6), [
    ...inner,
    'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
    `metadata.annotations[${AA}ghost]: Forbidden: may not add AppArmor annotations`,
    ...inner,
  ]);
});
