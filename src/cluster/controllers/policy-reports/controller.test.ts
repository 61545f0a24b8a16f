import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject, ResourceRef } from '../../client/types.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { POLICY_REPORTS, REPORT_NAME } from './build-report.ts';
import { newPolicyReportsController } from './controller.ts';

const VAPS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false };
const BINDINGS: ResourceRef = { ...VAPS, resource: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding' };

const pod = (name: string, team?: string): K8sObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'a', ...(team ? { labels: { team } } : {}) }, spec: { containers: [{ name: 'c', image: 'x' }] } });

test('writes a report on change only, evaluates each report at most once per interval, deletes it when empty', async () => {
  const client = new FakeApiClient();
  client.seed(resources.namespaces, { metadata: { name: 'a' } });
  client.seed(VAPS, { metadata: { name: 'team', uid: 'u', generation: 1 }, spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] }, validations: [{ expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: 'team label' }] } });
  client.seed(BINDINGS, { metadata: { name: 'team' }, spec: { policyName: 'team', validationActions: ['Audit'] } });
  for (const p of [pod('p1'), pod('p2', 'x')]) client.seed(resources.pods, p);
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  let now = 1_000_000;
  const c = newPolicyReportsController({ client, informers, queue, log: { error() {} }, now: () => now, discovery: () => [resources.pods, resources.configmaps], minIntervalMs: 2000, mayRead: async () => true });
  informers.start();
  c.run(1);
  await settle([queue]);
  const reportWrites = () => client.writes().filter((w) => w.resource.resource === 'policyreports');
  assert.deepEqual(reportWrites().map((w) => [w.verb, w.namespace, w.name || (w.object as K8sObject).metadata.name]), [['create', 'a', REPORT_NAME]]);
  let [report] = client.stored<K8sObject>(POLICY_REPORTS, 'a');
  assert.deepEqual(report!.summary, { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });

  // A change within the interval waits for it: nothing evaluated or written before.
  const p1 = client.stored<K8sObject>(resources.pods, 'a').find((p) => p.metadata.name === 'p1')!;
  await client.update(resources.pods, 'a', { ...p1, metadata: { ...p1.metadata, labels: { team: 'y' } } });
  await settle([queue]);
  assert.ok(queue.delayed.has('a'));
  assert.equal(reportWrites().length, 1);
  now += 2000;
  queue.releaseDelayed();
  await settle([queue]);
  assert.equal(reportWrites().length, 2);
  [report] = client.stored<K8sObject>(POLICY_REPORTS, 'a');
  assert.deepEqual(report!.summary, { pass: 2, fail: 0, warn: 0, error: 0, skip: 0 });

  // A change that does not change the report: evaluated, not written.
  now += 2000;
  const p2 = client.stored<K8sObject>(resources.pods, 'a').find((p) => p.metadata.name === 'p2')!;
  await client.update(resources.pods, 'a', { ...p2, metadata: { ...p2.metadata, annotations: { x: 'y' } } });
  await settle([queue]);
  assert.equal(reportWrites().length, 2);

  // No binding: no results, the report is deleted.
  now += 2000;
  await client.delete(BINDINGS, '', 'team');
  await settle([queue]);
  assert.deepEqual(reportWrites().at(-1)!.verb, 'delete');
  assert.deepEqual(client.stored(POLICY_REPORTS, 'a'), []);
  queue.shutDown();
  await c.stop();
  informers.stop();
});

test('a resource the controller may not list and watch is not followed: logged, asked about again later, the other reports go on', async () => {
  const client = new FakeApiClient();
  client.seed(resources.namespaces, { metadata: { name: 'a' } });
  const vap = (name: string, resource: string): K8sObject => ({ metadata: { name, uid: name, generation: 1 }, spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: [resource] }] }, validations: [{ expression: 'false', message: `no ${resource}` }] } });
  for (const [name, resource] of [['no-pods', 'pods'], ['no-secrets', 'secrets']]) {
    client.seed(VAPS, vap(name!, resource!));
    client.seed(BINDINGS, { metadata: { name }, spec: { policyName: name, validationActions: ['Audit'] } });
  }
  client.seed(resources.pods, pod('p1'));
  client.seed(resources.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'a' }, data: { k: 'dg==' } });
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  let now = 1_000_000;
  const asked: string[] = [];
  const logged: string[] = [];
  let allowSecrets = false;
  const c = newPolicyReportsController({
    client, informers, queue, now: () => now, discovery: () => [resources.pods, resources.secrets], minIntervalMs: 0,
    log: { error: (_o: object, msg: string) => logged.push(msg) } as never,
    mayRead: async (r) => (asked.push(r.resource), r.resource !== 'secrets' || allowSecrets),
  });
  informers.start();
  c.run(1);
  await settle([queue]);
  const [report] = client.stored<K8sObject>(POLICY_REPORTS, 'a');
  assert.deepEqual((report!.results as Array<{ resources: Array<{ kind: string }> }>).map((x) => x.resources[0]!.kind), ['Pod']);
  assert.ok(logged.some((m) => m.includes('/secrets is not followed (the controller may not list and watch it')), logged.join('\n'));
  // Within the minute a denial is not asked about again; after it, it is (a role may have been extended).
  const secretsAsked = () => asked.filter((x) => x === 'secrets').length;
  const before = secretsAsked();
  queue.add('a');
  await settle([queue]);
  assert.equal(secretsAsked(), before);
  now += 60_000;
  allowSecrets = true;
  queue.add('a');
  await settle([queue]);
  assert.equal(secretsAsked(), before + 1);
  queue.shutDown();
  await c.stop();
  informers.stop();
});
