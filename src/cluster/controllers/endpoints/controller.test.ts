/** The Endpoints controller against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject } from '../../client/types.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { PODS } from '../resources.ts';
import { newEndpointsController, ENDPOINTS_OVER_CAPACITY } from './controller.ts';
import { LAST_CHANGE_TRIGGER_TIME } from './trigger-time.ts';
import { pod, readyStatus, service } from './fixtures.test-support.ts';

const silent = { error() {} };
const EP = resources.endpoints;

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newEndpointsController({ client, informers, queue, log: silent });
  informers.start();
  c.run(2);
  await settle([queue]);
  return { queue, stop: async () => { await c.stop(); informers.stop(); } };
}

const endpointsOf = (client: FakeApiClient, name: string) => client.stored<K8sObject>(EP, 'default').find((e) => e.metadata.name === name);

test('lists ready pods in addresses with the named port resolved, and moves a pod that turns unready to notReadyAddresses', async () => {
  const client = new FakeApiClient();
  const svc = client.seed(resources.services, service('web'));
  client.seed(PODS, pod('a', 'web', '10.1.0.1', true));
  client.seed(PODS, pod('b', 'web', '10.1.0.2', false));
  client.seed(PODS, pod('other', 'db', '10.1.0.3', true));
  const { queue, stop } = await start(client);
  try {
    let ep = endpointsOf(client, 'web')!;
    const a = client.stored<K8sObject>(PODS, 'default').find((p) => p.metadata.name === 'a')!;
    assert.deepEqual(ep.subsets, [{
      addresses: [{ ip: '10.1.0.1', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: a.metadata.uid } }],
      notReadyAddresses: [{ ip: '10.1.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: ep.subsets[0].notReadyAddresses[0].targetRef.uid } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }]);
    assert.deepEqual(ep.metadata.labels, { team: 'a', 'endpointslice.kubernetes.io/skip-mirror': 'true' });
    assert.equal(ep.metadata.annotations[LAST_CHANGE_TRIGGER_TIME], svc.metadata.creationTimestamp);

    await client.update(PODS, 'default', { ...a, status: readyStatus('10.1.0.1', false, '2026-01-01T00:05:00Z') }, 'status');
    await settle([queue]);
    ep = endpointsOf(client, 'web')!;
    assert.equal(ep.subsets[0].addresses, undefined);
    assert.deepEqual(ep.subsets[0].notReadyAddresses.map((x: { ip: string }) => x.ip), ['10.1.0.1', '10.1.0.2']);
    assert.equal(ep.metadata.annotations[LAST_CHANGE_TRIGGER_TIME], '2026-01-01T00:05:00Z');

    const writes = client.writes().length;
    queue.add('default/web');
    await settle([queue]);
    assert.equal(client.writes().length, writes, 'a second sync writes nothing');
  } finally {
    await stop();
  }
});

test('publishNotReadyAddresses lists unready pods as addresses; a pod without the named port is left out', async () => {
  const client = new FakeApiClient();
  client.seed(resources.services, service('web', { publishNotReadyAddresses: true }));
  client.seed(PODS, pod('b', 'web', '10.1.0.2', false));
  const noPort = pod('c', 'web', '10.1.0.3', true);
  noPort.spec.containers[0].ports = [];
  client.seed(PODS, noPort);
  const { stop } = await start(client);
  try {
    const ep = endpointsOf(client, 'web')!;
    assert.deepEqual(ep.subsets.map((s: any) => [s.addresses?.map((x: any) => x.ip), s.notReadyAddresses]), [[['10.1.0.2'], undefined]]);
  } finally {
    await stop();
  }
});

test('headless Service: hostname from a pod whose subdomain is the Service; deleted Service deletes its Endpoints; no selector is left alone', async () => {
  const client = new FakeApiClient();
  client.seed(resources.services, service('db', { clusterIP: 'None', ports: [] }));
  client.seed(resources.services, { metadata: { name: 'manual', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
  client.seed(EP, { metadata: { name: 'manual', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.168.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] }] });
  const p = pod('db-0', 'db', '10.1.0.9', true);
  p.spec.hostname = 'db-0';
  p.spec.subdomain = 'db';
  client.seed(PODS, p);
  const { queue, stop } = await start(client);
  try {
    const ep = endpointsOf(client, 'db')!;
    assert.equal(ep.subsets[0].addresses[0].hostname, 'db-0');
    assert.equal(ep.subsets[0].ports, undefined);
    assert.equal(ep.metadata.labels['service.kubernetes.io/headless'], '');
    assert.deepEqual(endpointsOf(client, 'manual')!.subsets[0].addresses, [{ ip: '192.168.0.1' }]);
    await client.delete(resources.services, 'default', 'db');
    await settle([queue]);
    assert.equal(endpointsOf(client, 'db'), undefined);
  } finally {
    await stop();
  }
});

test('more than 1000 addresses are truncated and annotated over-capacity', async () => {
  const client = new FakeApiClient();
  client.seed(resources.services, service('big'));
  for (let i = 0; i < 1005; i++) client.seed(PODS, pod(`p${i}`, 'big', `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`, true));
  const { stop } = await start(client);
  try {
    const ep = endpointsOf(client, 'big')!;
    assert.equal(ep.subsets[0].addresses.length, 1000);
    assert.equal(ep.metadata.annotations[ENDPOINTS_OVER_CAPACITY], 'truncated');
  } finally {
    await stop();
  }
});
