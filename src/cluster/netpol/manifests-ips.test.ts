import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podInfoFromObject } from './manifests.ts';

test('a pod\'s IPs enter the policy model as the IPv4 addresses they stand for, canonical (legacy forms the API accepts; never octal)', () => {
  const info = podInfoFromObject({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [] }, status: { podIPs: [{ ip: '010.244.000.005' }, { ip: 'fd00::5' }, { ip: '::ffff:10.244.0.6' }, { ip: 'bogus' }] } });
  assert.deepEqual(info.ips, ['10.244.0.5', '10.244.0.6']);
  assert.deepEqual(podInfoFromObject({ metadata: { name: 'q' }, status: { podIP: '10.244.0.7' } }).ips, ['10.244.0.7']);
});
