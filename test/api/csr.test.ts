import { test } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import { generateRsaKeyPair } from '../../src/pki/key-pair.ts';
import { clusterPerFile } from '../helpers/cluster.ts';
import type { TestClient } from '../helpers/client.ts';

const c = clusterPerFile();

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const GR = 'certificatesigningrequests.certificates.k8s.io';

function csrPem(orgs: string[] = []): string {
  const { privateKey, publicKey } = generateRsaKeyPair();
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = publicKey;
  csr.setSubject([{ name: 'commonName', value: 'someone' }, ...orgs.map((value) => ({ name: 'organizationName', value }))]);
  csr.sign(privateKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

const csr = (name: string, signerName = 'example.com/foo', orgs: string[] = []) => ({
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: { name },
  spec: { request: Buffer.from(csrPem(orgs)).toString('base64'), signerName, usages: ['client auth'] },
});

/** A ClusterRole with these rules bound to the user. */
async function grant(user: string, name: string, rules: object[]): Promise<void> {
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules };
  assert.equal((await c.admin.post(`${RBAC}/clusterroles`, role)).status, 201);
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }],
  };
  assert.equal((await c.admin.post(`${RBAC}/clusterrolebindings`, binding)).status, 201);
}

/** Retries (up to 10 s) until `done` holds: new RBAC bindings reach the authorizer through a watch. */
async function until(fn: () => Promise<{ status: number; text: string }>, done: (r: { status: number; text: string }) => boolean): Promise<{ status: number; text: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await fn();
    if (done(r) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}
/** RBAC's refusal ("User ... cannot update resource ...") rather than admission's. */
const rbacLags = (r: { status: number; text: string }) => !(r.status === 403 && r.text.includes(' cannot '));
const is = (code: number) => (r: { status: number }) => r.status === code;

const CSR_RW = { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'update'] };

test('the requester identity comes from authentication, not from the body, and cannot be changed later', async () => {
  await grant('alice', 'csr-alice', [CSR_RW]);
  const alice = c.as('alice', ['dev']);
  const forged = csr('forged');
  Object.assign(forged.spec, { username: 'system:admin', uid: 'forged-uid', groups: ['system:masters'], extra: { scopes: ['all'] } });
  (forged as any).status = { conditions: [{ type: 'Approved', status: 'True', reason: 'SelfApproved' }] };
  const r = await until(() => alice.post(CSRS, forged), rbacLags);
  assert.equal(r.status, 201, r.text);
  const created = JSON.parse(r.text);
  assert.equal(created.spec.username, 'alice');
  assert.deepEqual(created.spec.groups, ['dev', 'system:authenticated']);
  assert.equal(created.spec.uid, undefined);
  assert.equal(created.spec.extra, undefined);
  assert.equal(created.status?.conditions, undefined);

  // An update of the object itself keeps the whole spec (and status) as stored.
  const edit = { ...created, spec: { ...created.spec, username: 'system:admin', groups: ['system:masters'] }, status: { conditions: [{ type: 'Approved', status: 'True' }] } };
  const u = await alice.put(`${CSRS}/forged`, edit);
  assert.equal(u.status, 200, u.text);
  assert.equal(u.body.spec.username, 'alice');
  assert.deepEqual(u.body.spec.groups, ['dev', 'system:authenticated']);
  assert.equal(u.body.status?.conditions, undefined);
});

test('approval needs approve on the signer (or its domain wildcard), besides update on /approval', async () => {
  assert.equal((await c.admin.post(CSRS, csr('to-approve'))).status, 201);
  await grant('approver', 'csr-approval-only', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests', 'certificatesigningrequests/approval'], verbs: ['get', 'update'] }]);
  const approver = c.as('approver');
  const approve = async (client: TestClient) => {
    const cur = (await client.get(`${CSRS}/to-approve`)).body;
    cur.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Looks good', message: 'ok' }] };
    return client.put(`${CSRS}/to-approve/approval`, cur);
  };
  const refused = await until(() => approve(approver), rbacLags);
  assert.equal(refused.status, 403, refused.text);
  assert.deepEqual(JSON.parse(refused.text), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${GR} "to-approve" is forbidden: user not permitted to approve requests with signerName "example.com/foo"`,
    reason: 'Forbidden',
    details: { name: 'to-approve', group: 'certificates.k8s.io', kind: 'certificatesigningrequests' },
    code: 403,
  });

  await grant('approver', 'csr-approve-signer', [{ apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['example.com/*'], verbs: ['approve'] }]);
  const ok = await until(() => approve(approver), is(200));
  assert.equal(ok.status, 200, ok.text);
  const conds = JSON.parse(ok.text).status.conditions;
  assert.equal(conds.length, 1);
  assert.equal(conds[0].type, 'Approved');
  assert.equal(conds[0].reason, 'Looks good');
  assert.match(conds[0].lastUpdateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(conds[0].lastTransitionTime, conds[0].lastUpdateTime);
});

test('setting status.certificate needs sign on the signer; /status cannot approve', async () => {
  assert.equal((await c.admin.post(CSRS, csr('to-sign'))).status, 201);
  await grant('signer', 'csr-status-only', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests', 'certificatesigningrequests/status'], verbs: ['get', 'update'] }]);
  const signer = c.as('signer');
  const certificate = Buffer.from(c.cp.pki.caCertPem).toString('base64');
  const sign = async () => {
    const cur = (await signer.get(`${CSRS}/to-sign`)).body;
    cur.status = { certificate };
    return signer.put(`${CSRS}/to-sign/status`, cur);
  };
  const refused = await until(sign, rbacLags);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(JSON.parse(refused.text).message, `${GR} "to-sign" is forbidden: user not permitted to sign requests with signerName "example.com/foo"`);

  await grant('signer', 'csr-sign-signer', [{ apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['example.com/foo'], verbs: ['sign'] }]);
  const ok = await until(sign, is(200));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(JSON.parse(ok.text).status.certificate, certificate);

  const cur = (await signer.get(`${CSRS}/to-sign`)).body;
  cur.status.conditions = [{ type: 'Approved', status: 'True', reason: 'SelfApproved' }];
  const selfApprove = await signer.put(`${CSRS}/to-sign/status`, cur);
  assert.equal(selfApprove.status, 422, selfApprove.text);
  assert.match(selfApprove.body.message, /status\.conditions: Forbidden: updates may not add a condition of type "Approved"/);
});

test('CertificateSubjectRestriction: no system:masters through the kube-apiserver-client signer', async () => {
  const r = await c.admin.post(CSRS, csr('masters', 'kubernetes.io/kube-apiserver-client', ['system:masters']));
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.message, `${GR} "masters" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed`);
  assert.equal((await c.admin.post(CSRS, csr('masters-elsewhere', 'example.com/foo', ['system:masters']))).status, 201);
  assert.equal((await c.admin.post(CSRS, csr('devs', 'kubernetes.io/kube-apiserver-client', ['dev']))).status, 201);
});
