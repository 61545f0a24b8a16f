import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../field-errors.ts';
import { validateObject } from '../index.ts';

type Obj = Record<string, any>;
const pod = (volumes: Obj[], kind = 'Pod'): Obj => {
  const spec = {
    restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, securityContext: {},
    containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }],
    volumes,
  };
  const meta = { name: 'x', namespace: 'default' };
  if (kind === 'Pod') return { metadata: meta, spec };
  return { metadata: meta, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, strategy: { type: 'Recreate' }, template: { metadata: { labels: { a: 'b' } }, spec } } };
};
const errs = (volumes: Obj[]) => validateObject({ group: '', version: 'v1', kind: 'Pod' }, pod(volumes)).map(errorString);

test('hostPath: a ".." element is refused (a /var/log/ prefix policy cannot be walked out of), unknown types too', () => {
  assert.deepEqual(errs([{ name: 'h', hostPath: { path: '/var/log/../../etc' } }]), [`spec.volumes[0].hostPath.path: Invalid value: "/var/log/../../etc": must not contain '..'`]);
  assert.deepEqual(errs([{ name: 'h', hostPath: { path: '/var/log/..' } }]), [`spec.volumes[0].hostPath.path: Invalid value: "/var/log/..": must not contain '..'`]);
  assert.deepEqual(errs([{ name: 'h', hostPath: { path: '/var/log/..x/a..b', type: 'Directory' } }]), []);
  assert.deepEqual(errs([{ name: 'h', hostPath: { path: '/var/log', type: 'Dir' } }]), [
    'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
  ]);
  // Pod templates are validated alike.
  const dep = validateObject({ group: 'apps', version: 'v1', kind: 'Deployment' }, pod([{ name: 'h', hostPath: { path: '../x' } }], 'Deployment')).map(errorString);
  assert.deepEqual(dep, [`spec.template.spec.volumes[0].hostPath.path: Invalid value: "../x": must not contain '..'`]);
});

test('secret and configMap items: relative, no "..", not starting with "..", modes 0-0777', () => {
  assert.deepEqual(errs([{ name: 'v', configMap: { name: 'cm', items: [{ key: 'a', path: '../x' }, { key: 'b', path: '..data' }, { key: 'c', path: '/abs' }, { key: '', path: 'ok', mode: 0o1000 }] } }]), [
    `spec.volumes[0].configMap.items[0].path: Invalid value: "../x": must not contain '..'`,
    `spec.volumes[0].configMap.items[1].path: Invalid value: "..data": must not start with '..'`,
    'spec.volumes[0].configMap.items[2].path: Invalid value: "/abs": must be a relative path',
    'spec.volumes[0].configMap.items[3].key: Required value',
    'spec.volumes[0].configMap.items[3].mode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive',
  ]);
  assert.deepEqual(errs([{ name: 'v', secret: { secretName: 's', defaultMode: -1, items: [{ key: 'a', path: 'a/../../b' }, { key: 'b', path: '' }] } }]), [
    'spec.volumes[0].secret.defaultMode: Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive',
    `spec.volumes[0].secret.items[0].path: Invalid value: "a/../../b": must not contain '..'`,
    'spec.volumes[0].secret.items[1].path: Required value',
  ]);
  assert.deepEqual(errs([{ name: 'v', secret: { secretName: 's', items: [{ key: 'a', path: 'a/b..c/.d' }] } }]), []);
});

test('downwardAPI files and projected sources', () => {
  assert.deepEqual(errs([{ name: 'd', downwardAPI: { items: [{ path: '..data', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }, { path: 'x' }] } }]), [
    `spec.volumes[0].downwardAPI.path: Invalid value: "..data": must not start with '..'`,
    'spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required',
  ]);
  const projected = {
    name: 'p',
    projected: {
      sources: [
        { configMap: { name: 'cm', items: [{ key: 'a', path: 'same' }, { key: 'b', path: '../up' }] } },
        { secret: { name: 's', items: [{ key: 'a', path: 'same' }] } },
        { serviceAccountToken: { path: '..token', expirationSeconds: 60 } },
        { downwardAPI: { items: [{ path: 'same', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] }, configMap: { name: 'two' } },
      ],
    },
  };
  assert.deepEqual(errs([projected]), [
    `spec.volumes[0].projected.sources[0].configMap.items[1].path: Invalid value: "../up": must not contain '..'`,
    'spec.volumes[0].projected: Invalid value: "s": conflicting duplicate paths',
    'spec.volumes[0].projected.sources[2].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    `spec.volumes[0].projected.path: Invalid value: "..token": must not start with '..'`,
    'spec.volumes[0].projected: Invalid value: "same": conflicting duplicate paths',
    'spec.volumes[0].projected.sources[3]: Forbidden: may not specify more than 1 volume type',
  ]);
  // The service account admission plugin's own volume passes.
  const apiAccess = {
    name: 'kube-api-access-x',
    projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }] },
  };
  assert.deepEqual(errs([apiAccess]), []);
});
