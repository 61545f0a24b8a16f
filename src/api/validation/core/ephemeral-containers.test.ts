import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errorString } from '../field-errors.ts';
import { validatePod, validatePodUpdate } from './pod.ts';

const ctr = (name: string, more: Record<string, unknown> = {}) => ({ name, image: 'busybox', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', ...more });

function pod(ephemeral: unknown[] = [], annotations: Record<string, string> = {}): Pod {
  const spec: any = {
    restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, securityContext: {},
    volumes: [{ name: 'v', emptyDir: {} }],
    containers: [ctr('app')], initContainers: [ctr('init')],
  };
  if (ephemeral.length) spec.ephemeralContainers = ephemeral;
  return { metadata: { name: 'p', namespace: 'default', annotations, resourceVersion: '1' }, spec };
}
const update = (next: Pod, old: Pod, sub = 'ephemeralcontainers') => validatePodUpdate(next, old, sub).map(errorString);

test('ephemeral containers: unique names across all containers, a target of the pod, only the allowed fields (upstream order)', () => {
  const bad = ctr('app', {
    targetContainerName: 'gone', ports: [], resources: { requests: { cpu: '1' } }, resizePolicy: [], restartPolicy: 'Always',
    livenessProbe: { exec: { command: ['true'] } }, startupProbe: { exec: { command: ['true'] } }, lifecycle: {},
    volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 'a', subPathExpr: '$(X)' }],
  });
  assert.deepEqual(update(pod([bad, ctr('init'), ctr('ok', { targetContainerName: 'init', resources: {}, stdin: true, tty: true, env: [{ name: 'A', value: 'b' }] })]), pod()), [
    'spec.ephemeralContainers[0].name: Duplicate value: "app"',
    'spec.ephemeralContainers[0].targetContainerName: Not found: "gone"',
    'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].resizePolicy: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].restartPolicy: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].livenessProbe: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].startupProbe: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[0].volumeMounts[0].subPathExpr: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[1].name: Duplicate value: "init"',
  ]);
  // Common container rules apply too (name, image, policies).
  assert.deepEqual(update(pod([{ name: 'Bad_Name' }]), pod()), [
    'spec.ephemeralContainers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
    'spec.ephemeralContainers[0].image: Required value',
    'spec.ephemeralContainers[0].terminationMessagePolicy: Required value',
    'spec.ephemeralContainers[0].imagePullPolicy: Required value',
  ]);
});

test('ephemeral containers: only additions through the subresource; none on create; none for static pods', () => {
  const one = pod([ctr('d1')]);
  assert.deepEqual(update(pod([ctr('d1'), ctr('d2')]), one), []);
  // A patch need not keep the order.
  assert.deepEqual(update(pod([ctr('d2'), ctr('d1')]), pod([ctr('d1'), ctr('d2')])), []);
  assert.deepEqual(update(pod([ctr('d2')]), one), ['spec.ephemeralContainers: Forbidden: existing ephemeral containers "d1" may not be removed\n']);
  const changed = update(pod([ctr('d1', { image: 'nginx' })]), one);
  assert.equal(changed.length, 1);
  assert.match(changed[0]!, /^spec.ephemeralContainers: Forbidden: existing ephemeral containers "d1" may not be changed\n {2}core.EphemeralContainer\{\n-\timage: "busybox"\n\+\timage: "nginx"\n {2}\}$/);
  assert.deepEqual(validatePod(pod([ctr('d1')])).map(errorString), ['spec.ephemeralContainers: Forbidden: cannot be set on create']);
  const mirror = { 'kubernetes.io/config.mirror': 'x' };
  const staticPod = (e: unknown[]) => ({ ...pod(e, mirror), spec: { ...pod(e, mirror).spec!, nodeName: 'n1' } });
  assert.deepEqual(update(staticPod([ctr('d1')]), staticPod([])), ['[]: Forbidden: static pods do not support ephemeral containers']);
  // The main resource may not add them: the pod update rules' diff names the field.
  const plain = update(pod([ctr('d1')]), pod(), '');
  assert.equal(plain.length, 1);
  assert.match(plain[0]!, /^spec: Forbidden: pod updates may not change fields other than .*\n[\s\S]*ephemeralContainers/);
});
