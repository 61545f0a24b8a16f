import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { tokenVolumeSource } from '../../../admission/plugins/service-account.ts';
import { configMapData, configMapMissingKey, downwardPayload, formatMap, keyPayload, projectedPayload, secretData, secretMissingKey } from './payload.ts';

const text = (p: Map<string, { data: Buffer; mode: number }>) => Object.fromEntries([...p].map(([k, v]) => [k, [v.data.toString('utf8'), v.mode.toString(8)]]));

const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { b: 'two', a: 'one "q"' }, annotations: { x: 'y' } },
  spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { memory: '64Mi', cpu: '500m' } } }] },
};
const ctx = { hostIP: '10.0.0.1', allocatable: { cpu: '4', memory: '8Gi' } };

test('configMap and secret payloads: all keys, or items with their own modes; missing keys as upstream', () => {
  const cm = configMapData({ metadata: {}, data: { a: 'A', b: 'B' }, binaryData: { bin: Buffer.from([1, 2]).toString('base64') } });
  assert.deepEqual(text(keyPayload(cm, undefined, 0o644, false, configMapMissingKey)), { a: ['A', '644'], b: ['B', '644'], bin: ['\u0001\u0002', '644'] });
  assert.deepEqual(text(keyPayload(cm, [{ key: 'a', path: 'dir/x', mode: 0o400 }], 0o644, false, configMapMissingKey)), { 'dir/x': ['A', '400'] });
  assert.throws(() => keyPayload(cm, [{ key: 'nope', path: 'n' }], 0o644, false, configMapMissingKey), { message: 'configmap references non-existent config key: nope' });
  assert.deepEqual(text(keyPayload(cm, [{ key: 'nope', path: 'n' }], 0o644, true, configMapMissingKey)), {});
  const s = secretData({ metadata: {}, data: { k: Buffer.from('secret').toString('base64') } });
  assert.deepEqual(text(keyPayload(s, undefined, 0o400, false, secretMissingKey)), { k: ['secret', '400'] });
  assert.throws(() => keyPayload(s, [{ key: 'x', path: 'x' }], 0o644, false, secretMissingKey), { message: 'references non-existent secret key: x' });
});

test('downwardAPI: labels and annotations as FormatMap, fields, resources with divisors', () => {
  assert.equal(formatMap({ b: 'two', a: 'one "q"' }), 'a="one \\"q\\""\nb="two"');
  const out = downwardPayload(pod, [
    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
    { path: 'name', fieldRef: { fieldPath: 'metadata.name' }, mode: 0o600 },
    { path: 'ann', fieldRef: { fieldPath: "metadata.annotations['x']" } },
    { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
    { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu', divisor: '1m' } },
  ], 0o644, ctx);
  assert.deepEqual(text(out), { labels: ['a="one \\"q\\""\nb="two"', '644'], name: ['p', '600'], ann: ['y', '644'], mem: ['64', '644'], cpu: ['500', '644'] });
  assert.throws(() => downwardPayload(pod, [{ path: 'x', resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } }], 0o644, ctx), /container nope not found/);
});

test('projected: the default kube-api-access volume; the token private with fsGroup or fsUser; missing sources aggregated', () => {
  const src = tokenVolumeSource() as never;
  const inputs = { configMaps: new Map([['kube-root-ca.crt', { metadata: {}, data: { 'ca.crt': 'PEM' } }]]), secrets: new Map(), tokens: new Map([[0, 'TOKEN']]), privateToken: false };
  assert.deepEqual(text(projectedPayload(pod, src, ctx, inputs)), { token: ['TOKEN', '644'], 'ca.crt': ['PEM', '644'], namespace: ['ns', '644'] });
  const priv = projectedPayload(pod, src, ctx, { ...inputs, privateToken: true, fsUser: 1000 });
  assert.equal(priv.get('token')!.mode, 0o600);
  assert.equal(priv.get('token')!.fsUser, 1000);
  assert.equal(priv.get('ca.crt')!.mode, 0o644);
  const missing = { sources: [{ configMap: { name: 'a' } }, { secret: { name: 'b' } }, { secret: { name: 'c', optional: true } }] };
  assert.throws(() => projectedPayload(pod, missing, ctx, { ...inputs, configMaps: new Map(), tokens: new Map() }), { message: '[configmap "a" not found, secret "b" not found]' });
  // A downwardAPI source's own aggregate is flattened into the projected one, repeats dropped, as
  // utilerrors.NewAggregate's visit does: not "[configmap "a" not found, [container x not found, ...]]".
  const gone = (containerName: string) => ({ path: containerName, resourceFieldRef: { containerName, resource: 'limits.cpu' } });
  const nested = { sources: [{ configMap: { name: 'a' } }, { downwardAPI: { items: [gone('x'), gone('y')] } }, { configMap: { name: 'a' } }] };
  assert.throws(() => projectedPayload(pod, nested, ctx, { ...inputs, configMaps: new Map(), tokens: new Map() }), { message: '[configmap "a" not found, container x not found, container y not found]' });
});
