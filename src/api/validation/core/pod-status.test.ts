import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errorString } from '../field-errors.ts';
import { validatePodUpdate } from './pod.ts';

const NON_TERMINATED = 'Forbidden: may not be transitioned to non-terminated state';

function pod(status: Record<string, unknown>, edit: (s: any) => void = () => {}): Pod {
  const spec: any = {
    restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, nodeName: 'n1',
    containers: [{ name: 'app', image: 'busybox' }, { name: 'side', image: 'busybox' }],
  };
  edit(spec);
  return { metadata: { name: 'p', namespace: 'default', resourceVersion: '1' }, spec, status: { qosClass: 'BestEffort', ...status } } as Pod;
}
/** A pods/status write: the spec is the stored one (prepareForUpdate), only the status differs. */
const statusErrs = (next: Record<string, unknown>, prev: Record<string, unknown>, edit?: (s: any) => void): string[] =>
  validatePodUpdate(pod(next, edit), pod(prev, edit), 'status').map(errorString);

const term = (name: string, exitCode = 0) => ({ name, state: { terminated: { exitCode } } });
const running = (name: string) => ({ name, state: { running: {} } });
const waiting = (name: string) => ({ name, state: { waiting: { reason: 'ContainerCreating' } } });

test('a terminated container of a restartPolicy Never pod may not leave the terminated state (path indexes the stored list)', () => {
  const never = (s: any) => { s.restartPolicy = 'Never'; };
  assert.deepEqual(statusErrs({ containerStatuses: [running('app'), waiting('side')] }, { containerStatuses: [running('app'), term('side', 1)] }, never), [
    `status.containerStatuses[1].state: ${NON_TERMINATED}`,
  ]);
  // Terminated to terminated, a status that leaves the container out, and running to anything are fine.
  assert.deepEqual(statusErrs({ containerStatuses: [term('app', 2)] }, { containerStatuses: [term('app', 0), running('side')] }, never), []);
  // Under Always anything goes.
  assert.deepEqual(statusErrs({ containerStatuses: [running('app')] }, { containerStatuses: [term('app')] }), []);
});

test('OnFailure: only a container that exited 0 is held in the terminated state', () => {
  const onFailure = (s: any) => { s.restartPolicy = 'OnFailure'; };
  assert.deepEqual(statusErrs({ containerStatuses: [running('app'), running('side')] }, { containerStatuses: [term('app', 0), term('side', 137)] }, onFailure), [
    `status.containerStatuses[0].state: ${NON_TERMINATED}`,
  ]);
});

test('init containers: the same rule, except for sidecars (restartPolicy Always init containers)', () => {
  const spec = (s: any) => {
    s.restartPolicy = 'Never';
    s.initContainers = [{ name: 'init', image: 'busybox' }, { name: 'sidecar', image: 'busybox', restartPolicy: 'Always' }];
  };
  assert.deepEqual(
    statusErrs({ initContainerStatuses: [waiting('init'), running('sidecar')] }, { initContainerStatuses: [term('init'), term('sidecar')] }, spec),
    [`status.initContainerStatuses[0].state: ${NON_TERMINATED}`],
  );
});

test('ephemeral containers are held as under restartPolicy Never whatever the pod says', () => {
  assert.deepEqual(statusErrs({ ephemeralContainerStatuses: [running('debug')] }, { ephemeralContainerStatuses: [term('debug', 1)] }), [
    `status.ephemeralContainerStatuses[0].state: ${NON_TERMINATED}`,
  ]);
});

test('custom condition types must be qualified names, reported at metadata.conditions[i].Type as upstream does', () => {
  assert.deepEqual(statusErrs({ conditions: [{ type: 'Ready', status: 'True' }, { type: 'example.com/Gate', status: 'True' }, { type: 'bad type', status: 'True' }] }, {}), [
    `metadata.conditions[2].Type: Invalid value: "bad type": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  ]);
});

test('nominatedNodeName must be a DNS subdomain when it changes; qosClass is immutable', () => {
  assert.deepEqual(statusErrs({ nominatedNodeName: 'Node_1', qosClass: 'Burstable' }, {}), [
    `status.nominatedNodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    'status.qosClass: Invalid value: "Burstable": field is immutable',
  ]);
  // A stored value is not judged again.
  assert.deepEqual(statusErrs({ nominatedNodeName: 'Node_1' }, { nominatedNodeName: 'Node_1' }), []);
});

test('podIPs: valid, one per family, no duplicates (validatePodIPs)', () => {
  assert.deepEqual(statusErrs({ podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] }, {}), []);
  assert.deepEqual(statusErrs({ podIPs: [{ ip: '10.0.0.1' }, { ip: '10.0.0.1' }] }, {}), [
    'status.podIPs: Invalid value: []core.PodIP{core.PodIP{IP:"10.0.0.1"}, core.PodIP{IP:"10.0.0.1"}}: may specify no more than one IP for each IP family',
    'status.podIPs[1]: Duplicate value: core.PodIP{IP:"10.0.0.1"}',
  ]);
  assert.deepEqual(statusErrs({ podIPs: [{ ip: '10.0.0.1' }, { ip: 'nope' }] }, {}), [
    'status.podIPs[1]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'status.podIPs: Internal error: failed to check for dual stack with error:invalid IP[1]: nope',
    'status.podIPs: Invalid value: []core.PodIP{core.PodIP{IP:"10.0.0.1"}, core.PodIP{IP:"nope"}}: may specify no more than one IP for each IP family',
  ]);
});

test('hostIPs: the first equals hostIP, valid, no duplicates, one per family (validateHostIPs)', () => {
  assert.deepEqual(statusErrs({ hostIP: '10.1.0.1', hostIPs: [{ ip: '10.1.0.1' }] }, {}), []);
  assert.deepEqual(statusErrs({ hostIPs: [{ ip: '10.1.0.1' }, { ip: 'fd00::2' }, { ip: 'fd00::2' }] }, {}), [
    'status.hostIPs[0].ip: Invalid value: "10.1.0.1": must be equal to `hostIP`',
    'status.hostIPs[2]: Duplicate value: core.HostIP{IP:"fd00::2"}',
    'status.hostIPs: Invalid value: []core.HostIP{core.HostIP{IP:"10.1.0.1"}, core.HostIP{IP:"fd00::2"}, core.HostIP{IP:"fd00::2"}}: may specify no more than one IP for each IP family',
  ]);
});

test('container status users: ids in range on linux, none on windows (path without "user", as upstream)', () => {
  const user = { linux: { uid: -1, gid: 2147483648, supplementalGroups: [1, -5] } };
  assert.deepEqual(statusErrs({ containerStatuses: [{ name: 'app', user }] }, {}), [
    'status.containerStatuses[0].linux.uid: Invalid value: -1: must be between 0 and 2147483647, inclusive',
    'status.containerStatuses[0].linux.gid: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive',
    'status.containerStatuses[0].linux.supplementalGroups[1]: Invalid value: -5: must be between 0 and 2147483647, inclusive',
  ]);
  assert.deepEqual(statusErrs({ initContainerStatuses: [{ name: 'app', user: { linux: { uid: 0, gid: 0 } } }] }, {}, (s) => { s.os = { name: 'windows' }; }), [
    'status.initContainerStatuses[0].linux: Forbidden: cannot be set for a windows pod',
  ]);
});

test('resourceClaimStatuses name entries of spec.resourceClaims, once each', () => {
  const claims = (s: any) => { s.resourceClaims = [{ name: 'gpu', resourceClaimTemplateName: 't' }]; };
  assert.deepEqual(statusErrs({ resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'p-gpu-x' }] }, {}, claims), []);
  assert.deepEqual(statusErrs({ resourceClaimStatuses: [{ name: 'gpu', resourceClaimName: 'Bad_Name' }, { name: 'gpu' }, { name: 'fpga' }] }, {}, claims), [
    `status.resourceClaimStatuses[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    'status.resourceClaimStatuses[1].name: Duplicate value: "gpu"',
    'status.resourceClaimStatuses[2].name: Invalid value: "fpga": must match the name of an entry in `spec.resourceClaims`',
  ]);
});

test('the status rules are for pods/status only: a main-resource update does not run them', () => {
  const next = pod({ qosClass: 'Guaranteed', podIPs: [{ ip: 'nope' }] });
  const errs = validatePodUpdate(next, pod({}), '').map(errorString);
  assert.ok(!errs.some((e) => e.startsWith('status.')), errs.join('\n'));
});
