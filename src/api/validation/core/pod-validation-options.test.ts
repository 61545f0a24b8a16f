import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../field-errors.ts';
import { validateObject } from '../index.ts';

type Obj = Record<string, any>;
const podSpec = (restartPolicy: string, edit: (s: Obj) => void): Obj => {
  const s: Obj = {
    restartPolicy, dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, securityContext: {},
    containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }],
  };
  edit(s);
  return s;
};
const template = (restartPolicy: string, edit: (s: Obj) => void): Obj => ({ metadata: { labels: { app: 'a' } }, spec: podSpec(restartPolicy, edit) });
const meta = { name: 'x', namespace: 'default', resourceVersion: '1' };
const selector = { matchLabels: { app: 'a' } };

/** Each kind with a pod template, as stored with the given template spec edit; [group, kind, object, template path]. */
const KINDS: Array<[string, string, (edit: (s: Obj) => void) => Obj, string]> = [
  ['', 'Pod', (e) => ({ metadata: meta, spec: podSpec('Always', e) }), 'spec'],
  ['', 'PodTemplate', (e) => ({ metadata: meta, template: template('Always', e) }), 'template.spec'],
  ['', 'ReplicationController', (e) => ({ metadata: meta, spec: { replicas: 1, selector: { app: 'a' }, template: template('Always', e) } }), 'spec.template.spec'],
  ['apps', 'Deployment', (e) => ({ metadata: meta, spec: { replicas: 1, selector, strategy: { type: 'Recreate' }, template: template('Always', e) } }), 'spec.template.spec'],
  ['apps', 'ReplicaSet', (e) => ({ metadata: meta, spec: { replicas: 1, selector, template: template('Always', e) } }), 'spec.template.spec'],
  ['apps', 'StatefulSet', (e) => ({ metadata: meta, spec: { replicas: 1, selector, serviceName: 's', podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'OnDelete' }, template: template('Always', e) } }), 'spec.template.spec'],
  ['apps', 'DaemonSet', (e) => ({ metadata: meta, spec: { selector, updateStrategy: { type: 'OnDelete' }, template: template('Always', e) } }), 'spec.template.spec'],
  ['batch', 'Job', (e) => ({ metadata: meta, spec: { selector, template: template('Never', e) } }), 'spec.template.spec'],
  ['batch', 'CronJob', (e) => ({ metadata: meta, spec: { schedule: '* * * * *', concurrencyPolicy: 'Allow', jobTemplate: { spec: { template: template('Never', e) } } } }), 'spec.jobTemplate.spec.template.spec'],
];

const hostNetSysctl = (s: Obj) => Object.assign(s, { hostNetwork: true, securityContext: { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] } });
const mountOption = (s: Obj) => (s.securityContext = { seLinuxChangePolicy: 'MountOption' });

/** An update that changes only a label: what the stored object had must stay allowed. */
function relabel(o: Obj): Obj {
  const next = structuredClone(o);
  next.metadata.labels = { touched: 'yes' };
  return next;
}

for (const [group, kind, make, tp] of KINDS) {
  const gvk = { group, version: 'v1', kind };
  test(`${kind}: options from the stored ${kind === 'Pod' ? 'pod' : 'template'} (GetValidationOptionsFrom${kind === 'Pod' ? 'PodSpecAndMeta' : 'PodTemplate'})`, () => {
    const errs = (o: Obj, old?: Obj) => validateObject(gvk, o, old).map(errorString);
    // Created now, both are refused (SELinuxMount is off in 1.33: only Recursive).
    assert.deepEqual(errs(make(hostNetSysctl)), [`${tp}.securityContext.sysctls[0].name: Invalid value: "net.ipv4.ip_forward": may not be specified when 'hostNetwork' is true`]);
    assert.deepEqual(errs(make(mountOption)), [`${tp}.securityContext.seLinuxChangePolicy: Unsupported value: "MountOption": supported values: "Recursive"`]);
    assert.deepEqual(errs(make((s) => (s.securityContext = { seLinuxChangePolicy: 'Recursive' }))), []);
    // Stored before those rules, the object stays updatable.
    for (const edit of [hostNetSysctl, mountOption]) {
      const stored = make(edit);
      assert.deepEqual(errs(relabel(stored), stored), [], `${kind} ${edit.name}`);
    }
    // A stored policy allows both values, and nothing else.
    assert.deepEqual(errs(make((s) => (s.securityContext = { seLinuxChangePolicy: 'Sometimes' })), make(mountOption)).filter((m) => m.startsWith(`${tp}.securityContext`)), [
      `${tp}.securityContext.seLinuxChangePolicy: Unsupported value: "Sometimes": supported values: "MountOption", "Recursive"`,
    ]);
    // The stored object's allowances are not the new one's: a plain stored object does not open either rule.
    const plain = make(() => {});
    if (kind !== 'Pod') {
      assert.deepEqual(errs(make(hostNetSysctl), plain).filter((m) => m.startsWith(`${tp}.securityContext.sysctls`)).length, 1);
      assert.deepEqual(errs(make(mountOption), plain).filter((m) => m.startsWith(`${tp}.securityContext.seLinuxChangePolicy`)).length, 1);
    }
  });
}
