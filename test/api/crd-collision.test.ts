import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';
import { CRDS, crdCondition, crdManifest as crd, waitFor } from '../helpers/crd.ts';

const c = clusterPerFile();

const APPROVED = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/78458' };
const KEP = 'see https://github.com/kubernetes/enhancements/pull/1111';

const condition = (name: string, type: string) => crdCondition(c.admin, name, type);

test('a CRD named like a built-in (clusterrolebindings at another version) is not accepted, cannot reach ClusterRoleBindings, and its deletion leaves them', async () => {
  const CRB = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
  const crb = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'keep-me' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
  };
  assert.equal((await c.admin.post(CRB, crb)).status, 201);
  const before = (await c.admin.get(CRB)).body.items.length;

  const name = 'clusterrolebindings.rbac.authorization.k8s.io';
  const r = await c.admin.post(CRDS, crd('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', 'v9', 'Cluster', APPROVED));
  assert.equal(r.status, 201, r.text);
  const accepted = await waitFor('NamesAccepted', () => condition(name, 'NamesAccepted'));
  assert.equal(accepted.status, 'False');
  // As upstream, the last conflicting name checked (plural, singular, kind, listKind) names the reason.
  assert.equal(accepted.reason, 'ListKindConflict');
  assert.equal(accepted.message, '"ClusterRoleBindingList" is already in use');
  assert.equal((await condition(name, 'Established'))?.status, 'False');

  // Not served: neither readable nor writable at the CRD's version.
  const V9 = '/apis/rbac.authorization.k8s.io/v9/clusterrolebindings';
  assert.equal((await c.admin.get(V9)).status, 404);
  assert.equal((await c.admin.get(`${V9}/keep-me`)).status, 404);
  const forged = { ...crb, apiVersion: 'rbac.authorization.k8s.io/v9', metadata: { name: 'forged' }, subjects: [{ kind: 'User', name: 'mallory' }] };
  assert.equal((await c.admin.post(V9, forged)).status, 404);
  assert.equal((await c.admin.get(`${CRB}/forged`)).status, 404);

  const d = await c.admin.delete(`${CRDS}/${name}`);
  assert.equal(d.status, 200, d.text);
  await waitFor('CRD gone', async () => ((await c.admin.get(`${CRDS}/${name}`)).status === 404 ? true : undefined));
  await new Promise((res) => setTimeout(res, 200)); // any purge runs right after the delete event
  assert.equal((await c.admin.get(`${CRB}/keep-me`)).status, 200);
  assert.equal((await c.admin.get(CRB)).body.items.length, before);
});

test('a CRD for NetworkPolicy in networking.k8s.io/v1 does not replace the built-in, nor does a new resource in a built-in group/version', async () => {
  const r = await c.admin.post(CRDS, crd('networking.k8s.io', 'networkpolicies', 'NetworkPolicy', 'v1', 'Namespaced', APPROVED));
  assert.equal(r.status, 201, r.text);
  const accepted = await waitFor('NamesAccepted', () => condition('networkpolicies.networking.k8s.io', 'NamesAccepted'));
  assert.equal(accepted.status, 'False');
  assert.equal(accepted.reason, 'ListKindConflict');
  assert.equal(accepted.message, '"NetworkPolicyList" is already in use');

  const other = await c.admin.post(CRDS, crd('networking.k8s.io', 'gadgets', 'Gadget', 'v1', 'Namespaced', APPROVED));
  assert.equal(other.status, 201, other.text);
  await waitFor('gadgets status', () => condition('gadgets.networking.k8s.io', 'NamesAccepted'));

  const NP = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies';
  // The built-in's validation still applies: a CRD with a permissive schema would accept this.
  const bad = await c.admin.post(NP, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: { policyTypes: ['Sideways'] } });
  assert.equal(bad.status, 422, bad.text);
  const ok = await c.admin.post(NP, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: { podSelector: {} } });
  assert.equal(ok.status, 201, ok.text);
  const disc = await c.admin.get('/apis/networking.k8s.io/v1');
  const np = disc.body.resources.find((x: any) => x.name === 'networkpolicies');
  assert.deepEqual(np.shortNames, ['netpol']);
  assert.ok(!disc.body.resources.some((x: any) => x.name === 'gadgets'), 'a CRD may not add to a built-in group/version');
  assert.equal((await c.admin.get('/apis/networking.k8s.io/v1/namespaces/default/gadgets')).status, 404);
});

test('api-approved.kubernetes.io: required for *.k8s.io and *.kubernetes.io groups, with upstream messages and condition', async () => {
  const missing = await c.admin.post(CRDS, crd('widgets.k8s.io', 'widgets', 'Widget', 'v1', 'Namespaced'));
  assert.equal(missing.status, 422, missing.text);
  assert.match(missing.body.message, new RegExp(`metadata.annotations\\[api-approved.kubernetes.io\\]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", ${KEP}`));
  assert.deepEqual(missing.body.details.causes.map((x: any) => x.field), ['metadata.annotations[api-approved.kubernetes.io]']);

  const invalid = await c.admin.post(CRDS, crd('x.kubernetes.io', 'widgets', 'Widget', 'v1', 'Namespaced', { 'api-approved.kubernetes.io': 'bad value' }));
  assert.equal(invalid.status, 422, invalid.text);
  assert.match(invalid.body.message, /Invalid value: "bad value": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved"/);

  const unapproved = await c.admin.post(CRDS, crd('widgets.k8s.io', 'widgets', 'Widget', 'v1', 'Namespaced', { 'api-approved.kubernetes.io': 'unapproved, experimental' }));
  assert.equal(unapproved.status, 201, unapproved.text);
  const cond = await waitFor('approval condition', () => condition('widgets.widgets.k8s.io', 'KubernetesAPIApprovalPolicyConformant'));
  assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'UnapprovedAnnotation', 'not approved: "unapproved, experimental"']);

  // An update that keeps the approval state is never refused; one that breaks it is.
  const got = (await c.admin.get(`${CRDS}/widgets.widgets.k8s.io`)).body;
  got.metadata.annotations['api-approved.kubernetes.io'] = '';
  const broken = await c.admin.put(`${CRDS}/widgets.widgets.k8s.io`, got);
  assert.equal(broken.status, 422, broken.text);

  const approved = await c.admin.post(CRDS, crd('gizmos.k8s.io', 'gizmos', 'Gizmo', 'v1', 'Namespaced', APPROVED));
  assert.equal(approved.status, 201, approved.text);
  const ok = await waitFor('approval condition', () => condition('gizmos.gizmos.k8s.io', 'KubernetesAPIApprovalPolicyConformant'));
  assert.deepEqual([ok.status, ok.reason, ok.message], ['True', 'ApprovedAnnotation', `approved in ${APPROVED['api-approved.kubernetes.io']}`]);

  const plain = await c.admin.post(CRDS, crd('example.org', 'widgets', 'Widget', 'v1', 'Namespaced'));
  assert.equal(plain.status, 201, plain.text);
});
