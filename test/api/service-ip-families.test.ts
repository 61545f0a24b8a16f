/**
 * A Service's ipFamilyPolicy and ipFamilies as upstream's initIPFamilyFields (pkg/registry/core/
 * service/storage/alloc.go) sets them on this single-stack IPv4 cluster: a headless Service without
 * a selector defaults to RequireDualStack with both families (it has no address, so the cluster's
 * stack does not limit it); an update keeps the stored policy; an address of a family the cluster
 * does not serve is named in spec.clusterIPs[i], not ipFamilies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const SVCS = '/api/v1/namespaces/default/services';
const svc = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });

function causes(r: { status: number; body: { reason?: string; details?: { causes?: Array<{ field?: string; message?: string }> } }; text: string }): string[] {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.reason, 'Invalid');
  return (r.body.details?.causes ?? []).map((x) => `${x.field}: ${x.message}`);
}

test('a headless Service without a selector is RequireDualStack with both families; with a selector SingleStack', async () => {
  const bare = await c.admin.post(SVCS, svc('hl-bare', { clusterIP: 'None' }));
  assert.equal(bare.status, 201, bare.text);
  assert.equal(bare.body.spec.ipFamilyPolicy, 'RequireDualStack');
  assert.deepEqual(bare.body.spec.ipFamilies, ['IPv4', 'IPv6']);
  assert.deepEqual(bare.body.spec.clusterIPs, ['None']);

  const v6first = await c.admin.post(SVCS, svc('hl-v6', { clusterIP: 'None', ipFamilies: ['IPv6'] }));
  assert.equal(v6first.status, 201, v6first.text);
  assert.equal(v6first.body.spec.ipFamilyPolicy, 'RequireDualStack');
  assert.deepEqual(v6first.body.spec.ipFamilies, ['IPv6', 'IPv4']);

  const single = await c.admin.post(SVCS, svc('hl-single', { clusterIP: 'None', ipFamilyPolicy: 'SingleStack' }));
  assert.equal(single.status, 201, single.text);
  assert.deepEqual(single.body.spec.ipFamilies, ['IPv4']);

  const selected = await c.admin.post(SVCS, svc('hl-selected', { clusterIP: 'None', selector: { app: 'x' } }));
  assert.equal(selected.status, 201, selected.text);
  assert.equal(selected.body.spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(selected.body.spec.ipFamilies, ['IPv4']);

  // A dry run shows the same, as upstream's (initIPFamilyFields runs for dry runs too).
  const dry = await c.admin.post(`${SVCS}?dryRun=All`, svc('hl-dry', { clusterIP: 'None' }));
  assert.equal(dry.status, 201, dry.text);
  assert.deepEqual([dry.body.spec.ipFamilyPolicy, dry.body.spec.ipFamilies], ['RequireDualStack', ['IPv4', 'IPv6']]);

  // A PUT without the fields keeps the stored policy (upstream: the old object's), so both families again.
  const cur = (await c.admin.get(`${SVCS}/hl-bare`)).body;
  delete cur.spec.ipFamilyPolicy;
  delete cur.spec.ipFamilies;
  cur.metadata.labels = { touched: 'yes' };
  const put = await c.admin.put(`${SVCS}/hl-bare`, cur);
  assert.equal(put.status, 200, put.text);
  assert.deepEqual([put.body.spec.ipFamilyPolicy, put.body.spec.ipFamilies], ['RequireDualStack', ['IPv4', 'IPv6']]);
});

test('an address of a family this cluster does not serve is refused in spec.clusterIPs, as upstream', async () => {
  const v6ip = await c.admin.post(SVCS, svc('v6ip', { selector: { app: 'x' }, clusterIP: 'fd00::10' }));
  assert.deepEqual(causes(v6ip), ['spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster']);
  // Two addresses with no policy: SingleStack, which cannot hold two, and the IPv6 one unserved.
  const two = await c.admin.post(SVCS, svc('two', { selector: { app: 'x' }, clusterIPs: ['10.96.9.9', 'fd00::10'], clusterIP: '10.96.9.9' }));
  assert.deepEqual(causes(two), [
    'spec.ipFamilyPolicy: Invalid value: "SingleStack": must be \'RequireDualStack\' or \'PreferDualStack\' when multiple cluster IPs are specified',
    'spec.clusterIPs[1]: Invalid value: []string{"10.96.9.9", "fd00::10"}: IPv6 is not configured on this cluster',
  ]);
  // Named families are checked where there is no address to infer from.
  const fam = await c.admin.post(SVCS, svc('fam6', { selector: { app: 'x' }, ipFamilies: ['IPv6'] }));
  assert.deepEqual(causes(fam), ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster']);
});
