import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../client/types.ts';
import { shouldPodBeInEndpoints } from './pod-address.ts';
import { desiredEndpoints } from '../endpointslice/desired.ts';
import { computeSubsets } from './subsets.ts';
import { pod, service } from './fixtures.test-support.ts';

const finished = (phase: string, restartPolicy: string): K8sObject => {
  const p = pod(`web-${phase}-${restartPolicy}`, 'web', '10.244.0.7', false);
  return { ...p, spec: { ...p.spec, restartPolicy }, status: { ...p.status, phase } };
};

test('a finished pod (Succeeded or Failed) is in no Endpoints or EndpointSlice, whatever its restartPolicy: its address is given back and may be another pod\'s', () => {
  for (const restartPolicy of ['Always', 'OnFailure', 'Never']) {
    for (const phase of ['Failed', 'Succeeded']) {
      assert.equal(shouldPodBeInEndpoints(finished(phase, restartPolicy) as never, true), false, `${phase} ${restartPolicy}`);
    }
  }
  assert.equal(shouldPodBeInEndpoints(pod('web', 'web', '10.244.0.8', false) as never, false), true);
  // An evicted Deployment pod (restartPolicy Always, Failed) behind a publishNotReadyAddresses Service: not published as ready.
  const svc = service('web', { publishNotReadyAddresses: true });
  const evicted = finished('Failed', 'Always');
  const nodes = { get: () => undefined } as never;
  assert.deepEqual([...desiredEndpoints(svc as never, [evicted as never], nodes, 'IPv4').values()].flatMap((g) => g.endpoints), []);
  assert.deepEqual(computeSubsets(svc as never, [evicted as never]).subsets, []);
});

test('the family of a pod IP is read as upstream (ParseIPSloppy): an IPv4-mapped address is IPv4, leading zeros are IPv4', async () => {
  const { podIPOfFamily } = await import('./pod-address.ts');
  const p = (ips: string[]) => ({ metadata: { name: 'p' }, status: { podIPs: ips.map((ip) => ({ ip })) } }) as never;
  assert.equal(podIPOfFamily(p(['::ffff:10.244.0.5']), 'IPv4'), '::ffff:10.244.0.5');
  assert.equal(podIPOfFamily(p(['::ffff:10.244.0.5']), 'IPv6'), undefined);
  assert.equal(podIPOfFamily(p(['010.244.000.005', 'fd00::5']), 'IPv4'), '010.244.000.005');
  assert.equal(podIPOfFamily(p(['010.244.000.005', 'fd00::5']), 'IPv6'), 'fd00::5');
});
