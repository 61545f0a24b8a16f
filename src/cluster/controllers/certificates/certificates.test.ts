/** The CSR approving and signing controllers on the fake client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { FakeClock, settle } from '../../client/fake-clock.ts';
import type { K8sObject, ResourceRef, WriteOptions } from '../../client/types.ts';
import { RateLimitedQueue } from '../../client/work-queue.ts';
import { createCA } from '../../../pki/ca.ts';
import { CSRS, newCsrApprovingController } from './approver.ts';
import { certificateDurationMs, newCsrSigningController } from './signer.ts';
import { ecdsaCsr, rsaCsr } from './test-csr.ts';

const NOW = Date.UTC(2026, 0, 1, 10, 0, 0);
const ca = createCA({ commonName: 'test-ca', now: new Date(NOW - 86_400_000), validityDays: 3650 });

/** The fake plus what the API server does for these controllers: SubjectAccessReviews answered by `allow`, /approval as a status write. */
class CsrFake extends FakeApiClient {
  readonly allow: (user: string, subresource: string) => boolean;
  constructor(allow: (user: string, subresource: string) => boolean) {
    super({ now: () => new Date(NOW) });
    this.allow = allow;
  }
  override async create<T extends K8sObject>(r: ResourceRef, ns: string, obj: T, opts?: WriteOptions): Promise<T> {
    if (r.resource !== 'subjectaccessreviews') return super.create(r, ns, obj, opts);
    this.actions.push({ verb: 'create', resource: r, namespace: '', name: '', object: obj });
    return { ...obj, status: { allowed: this.allow(obj.spec.user, obj.spec.resourceAttributes.subresource) } };
  }
  override async update<T extends K8sObject>(r: ResourceRef, ns: string, obj: T, sub?: string, opts?: WriteOptions): Promise<T> {
    return super.update(r, ns, obj, sub === 'approval' ? 'status' : sub, opts);
  }
}

async function run(allow: (user: string, sub: string) => boolean, seed: (c: FakeApiClient) => void) {
  const client = new CsrFake(allow);
  seed(client);
  const informers = fakeInformerFactory(client);
  const base = { client, informers, log: { error() {} }, now: () => NOW };
  // Retries wait on a clock that never moves: each request is judged once.
  const clock = new FakeClock(NOW);
  const approver = newCsrApprovingController({ ...base, queue: new RateLimitedQueue({ timers: clock, now: clock.now }) });
  const signer = newCsrSigningController({ ...base, ca, queue: new RateLimitedQueue({ timers: clock, now: clock.now }) });
  informers.start();
  approver.run(1);
  signer.run(1);
  await settle(100);
  await approver.stop();
  await signer.stop();
  informers.stop();
  const get = (name: string) => client.stored<K8sObject>(CSRS).find((c) => c.metadata.name === name)!;
  return { client, get };
}

function csr(name: string, user: string, request: string, extra: Record<string, unknown> = {}, status?: Record<string, unknown>): K8sObject {
  return {
    metadata: { name },
    spec: { request, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'], username: user, groups: ['system:nodes', 'system:authenticated'], ...extra },
    ...(status ? { status } : {}),
  };
}

const approved = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: '' }] };
const cond = (c: K8sObject, type: string) => c.status?.conditions?.find((x: { type: string }) => x.type === type);
const certOf = (c: K8sObject) => new X509Certificate(Buffer.from(c.status.certificate, 'base64'));

test('kubelet client CSRs are approved after the SubjectAccessReview upstream asks for: selfnodeclient for a node\'s own, nodeclient for a bootstrap identity; nothing else', async () => {
  const node = rsaCsr({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
  const { client, get } = await run((user, sub) => (user === 'system:node:n1' && sub === 'selfnodeclient') || (user === 'system:bootstrap:abcdef' && sub === 'nodeclient'), (c) => {
    c.seed(CSRS, csr('self', 'system:node:n1', node.request));
    c.seed(CSRS, csr('bootstrap', 'system:bootstrap:abcdef', node.request, { groups: ['system:bootstrappers'] }));
    c.seed(CSRS, csr('other-node', 'system:node:n2', node.request));
    c.seed(CSRS, csr('wrong-org', 'system:node:n1', rsaCsr({ commonName: 'system:node:n1', organizations: ['system:masters'] }).request));
    // A CN before the node's: a reader taking the first CN would see another user.
    const twoCns = rsaCsr({ commonName: 'system:node:n1', commonNamesBefore: ['system:kube-controller-manager'], organizations: ['system:nodes'] }).request;
    c.seed(CSRS, csr('two-cns', 'system:node:n1', twoCns));
    c.seed(CSRS, csr('two-cns-bootstrap', 'system:bootstrap:abcdef', twoCns, { groups: ['system:bootstrappers'] }));
  });
  assert.deepEqual(cond(get('self'), 'Approved'), { type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' });
  assert.deepEqual(cond(get('bootstrap'), 'Approved'), { type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' });
  assert.equal(cond(get('other-node'), 'Approved'), undefined, 'a review that does not allow approves nothing');
  assert.equal(cond(get('wrong-org'), 'Approved'), undefined);
  assert.equal(cond(get('two-cns'), 'Approved'), undefined, 'a subject with several CNs is left for a human');
  assert.equal(cond(get('two-cns-bootstrap'), 'Approved'), undefined);
  const reviews = client.actions.filter((a) => a.resource.resource === 'subjectaccessreviews').map((a) => (a.object as K8sObject).spec);
  assert.deepEqual(reviews.find((s) => s.user === 'system:bootstrap:abcdef')?.groups, ['system:bootstrappers'], 'reviewed as the requester');
  assert.equal(reviews.filter((s) => s.user === 'system:node:n1').length, 1, 'the wrong-org request is not recognized: no review for it');
  // The approved ones are then signed, for the requested subject.
  const cert = certOf(get('self'));
  assert.match(cert.subject, /CN=system:node:n1/);
  assert.match(cert.subject, /O=system:nodes/);
  assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey), 'signed by the cluster CA');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
});

test('a node network identity CSR is approved only for the requesting node itself (after a selfnodenetwork review) and signed only for system:node-network:<node> in system:node-networks', async () => {
  const NET = 'portcullis.dev/node-network-client';
  const forNode = (n: string) => ecdsaCsr({ commonName: `system:node-network:${n}`, organizations: ['system:node-networks'] }).request;
  const net = (name: string, user: string, request: string, groups = ['system:nodes', 'system:authenticated'], status?: Record<string, unknown>) => csr(name, user, request, { signerName: NET, groups }, status);
  const { client, get } = await run((user, sub) => sub === 'selfnodenetwork' && user !== 'system:node:n3', (c) => {
    c.seed(CSRS, net('self', 'system:node:n1', forNode('n1')));
    c.seed(CSRS, net('other-node', 'system:node:n2', forNode('n1')));
    c.seed(CSRS, net('non-node', 'alice', forNode('n1'), ['system:authenticated']));
    c.seed(CSRS, net('node-name-without-group', 'system:node:n1', forNode('n1'), ['system:authenticated']));
    c.seed(CSRS, net('bootstrap', 'system:bootstrap:abcdef', forNode('n1'), ['system:bootstrappers']));
    c.seed(CSRS, net('review-refused', 'system:node:n3', forNode('n3')));
    c.seed(CSRS, net('kubelet-subject', 'system:node:n1', ecdsaCsr({ commonName: 'system:node:n1', organizations: ['system:nodes'] }).request));
    c.seed(CSRS, net('two-cns', 'system:node:n1', rsaCsr({ commonName: 'system:node-network:n1', commonNamesBefore: ['system:kube-controller-manager'], organizations: ['system:node-networks'] }).request));
    // Approved by someone else: the signer's own rules still hold.
    c.seed(CSRS, net('human-approved-other-subject', 'admin', ecdsaCsr({ commonName: 'alice', organizations: ['system:node-networks'] }).request, [], approved));
    c.seed(CSRS, net('human-approved-extra-org', 'admin', ecdsaCsr({ commonName: 'system:node-network:n1', organizations: ['system:node-networks', 'system:masters'] }).request, [], approved));
  });
  assert.deepEqual(cond(get('self'), 'Approved'), { type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving the requesting node\'s network client certificate after SubjectAccessReview.' });
  const cert = certOf(get('self'));
  assert.equal(cert.subject, 'O=system:node-networks\nCN=system:node-network:n1');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'client auth only');
  assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey), 'signed by the cluster CA');
  for (const name of ['other-node', 'non-node', 'node-name-without-group', 'bootstrap', 'review-refused', 'kubelet-subject', 'two-cns']) {
    assert.equal(cond(get(name), 'Approved'), undefined, `${name}: not approved`);
    assert.equal(cond(get(name), 'Denied'), undefined, `${name}: left pending, as every request the approver does not approve`);
    assert.equal(get(name).status?.certificate, undefined, `${name}: not signed`);
  }
  const reviewed = client.actions.filter((a) => a.resource.resource === 'subjectaccessreviews').map((a) => (a.object as K8sObject).spec);
  assert.deepEqual(reviewed.map((s) => `${s.user} ${s.resourceAttributes.subresource}`).sort(), ['system:node:n1 selfnodenetwork', 'system:node:n3 selfnodenetwork'], 'only the node\'s own requests are even reviewed');
  assert.equal(cond(get('human-approved-other-subject'), 'Failed')?.message, 'subject common name does not begin with system:node-network:');
  assert.equal(cond(get('human-approved-extra-org'), 'Failed')?.message, 'subject organization is not system:node-networks');
  assert.equal(get('human-approved-other-subject').status.certificate, undefined);
});

test('approved CSRs are signed with the signer\'s usages and the requested lifetime (at least 10 minutes); broken rules get Failed; unapproved ones are left alone', async () => {
  const ec = ecdsaCsr({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
  const serving = rsaCsr({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1.example'], ipAddresses: ['10.0.0.7'] });
  const client = rsaCsr({ commonName: 'alice', organizations: ['devs'] });
  const { get } = await run(() => false, (c) => {
    c.seed(CSRS, csr('ec', 'x', ec.request, { expirationSeconds: 3600 }, approved));
    c.seed(CSRS, csr('short', 'x', ec.request, { expirationSeconds: 60 }, approved));
    c.seed(CSRS, csr('serving', 'x', serving.request, { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'key encipherment', 'server auth'] }, approved));
    c.seed(CSRS, csr('client', 'x', client.request, { signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] }, approved));
    c.seed(CSRS, csr('bad-usage', 'x', client.request, { signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth', 'server auth'] }, approved));
    c.seed(CSRS, csr('serving-no-san', 'x', ec.request, { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] }, approved));
    c.seed(CSRS, csr('pending', 'x', ec.request));
    c.seed(CSRS, csr('custom', 'x', ec.request, { signerName: 'example.com/other' }, approved));
  });
  const ecCert = certOf(get('ec'));
  assert.equal(Date.parse(ecCert.validTo), NOW + 3600_000, 'expirationSeconds honoured');
  assert.equal(Date.parse(ecCert.validFrom), NOW - 300_000, 'backdated 5 minutes');
  assert.equal(ecCert.publicKey.asymmetricKeyType, 'ec', 'an ECDSA key is certified as requested');
  assert.ok(ecCert.verify(new X509Certificate(ca.certPem).publicKey));
  assert.equal(Date.parse(certOf(get('short')).validTo), NOW + 600_000, 'never under 10 minutes');
  const s = certOf(get('serving'));
  assert.equal(s.subjectAltName, 'DNS:n1.example, IP Address:10.0.0.7');
  assert.deepEqual(s.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.match(certOf(get('client')).subject, /CN=alice/);
  assert.deepEqual(cond(get('bad-usage'), 'Failed'), { ...cond(get('bad-usage'), 'Failed'), type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: 'invalid usage for client certificate: server auth' });
  assert.equal(get('bad-usage').status.certificate, undefined);
  assert.equal(cond(get('serving-no-san'), 'Failed')?.message, 'DNS or IP subjectAltName is required');
  assert.equal(get('pending').status?.certificate, undefined);
  assert.equal(get('custom').status?.certificate, undefined);
});

test('certificate lifetime: the signing duration when unset or longer, 10 minutes at least', () => {
  assert.equal(certificateDurationMs(undefined, 1e9), 1e9);
  assert.equal(certificateDurationMs(2e6, 1e9), 1e9);
  assert.equal(certificateDurationMs(60, 1e9), 600_000);
  assert.equal(certificateDurationMs(7200, 1e9), 7_200_000);
});
