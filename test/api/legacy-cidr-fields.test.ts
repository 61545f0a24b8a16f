/**
 * The legacy CIDR fields accept what upstream 1.33 accepts (IsValidCIDRForLegacyField with
 * StrictIPCIDRValidation off: ParseCIDRSloppy's forms, leading zeros, IPv4-mapped IPv6, host bits):
 * node spec.podCIDRs, NetworkPolicy ipBlock cidr/except, Service spec.loadBalancerSourceRanges and
 * its annotation (LoadBalancer only; the field path keeps upstream's capital L).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const CIDR_MSG = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

function causes(r: { status: number; body: { details?: { causes?: Array<{ field?: string; message?: string }> } }; text: string }): string[] {
  assert.equal(r.status, 422, r.text);
  return (r.body.details?.causes ?? []).map((x) => `${x.field}: ${x.message}`);
}

test('node spec.podCIDRs: leading zeros and host bits accepted, a zone refused', async () => {
  const ok = await c.admin.post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'legacy-cidr' }, spec: { podCIDR: '010.250.001.000/024', podCIDRs: ['010.250.001.000/024'] } });
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(ok.body.spec.podCIDRs, ['010.250.001.000/024'], 'stored as written, as upstream');
  const zone = await c.admin.post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'zone-cidr' }, spec: { podCIDRs: ['fe80::1%eth0/64'] } });
  assert.deepEqual(causes(zone), [`spec.podCIDRs[0]: Invalid value: "fe80::1%eth0/64": ${CIDR_MSG}`]);
});

test('NetworkPolicy ipBlock: legacy forms accepted, an except still a strict subset as Go compares it', async () => {
  const np = (name: string, ipBlock: Record<string, unknown>) => c.admin.post('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec: { podSelector: {}, ingress: [{ from: [{ ipBlock }] }] },
  });
  const ok = await np('legacy', { cidr: '010.000.000.000/8', except: ['010.001.000.000/016', '::ffff:10.2.0.0/112', '10.3.0.1/16'] });
  assert.equal(ok.status, 201, ok.text);
  const bad = await np('bad', { cidr: '10.0.0.0/8', except: ['fe80::1%eth0/64', '11.0.0.0/16', '010.0.0.0/8'] });
  assert.deepEqual(causes(bad), [
    `spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "fe80::1%eth0/64": ${CIDR_MSG}`,
    'spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
    'spec.ingress[0].from[0].ipBlock.except[2]: Invalid value: "010.0.0.0/8": must be a strict subset of `cidr`',
  ]);
});

test('Service loadBalancerSourceRanges: LoadBalancer only, each a legacy CIDR (space-padded allowed); the annotation likewise', async () => {
  const svc = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) => c.admin.post('/api/v1/namespaces/default/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name, ...(annotations ? { annotations } : {}) }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
  });
  const ok = await svc('lb-ranges', { type: 'LoadBalancer', loadBalancerSourceRanges: [' 010.000.000.000/8 ', '192.168.1.5/24'] });
  assert.equal(ok.status, 201, ok.text);
  const bad = await svc('ci-ranges', { loadBalancerSourceRanges: ['bogus'] });
  assert.deepEqual(causes(bad), [
    "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
    `spec.LoadBalancerSourceRanges[0]: Invalid value: "bogus": ${CIDR_MSG}`,
  ]);
  const key = 'service.beta.kubernetes.io/load-balancer-source-ranges';
  const ann = await svc('ann-ranges', { type: 'LoadBalancer' }, { [key]: ' 10.0.0.0/8, bogus ' });
  assert.deepEqual(causes(ann), [`metadata.annotations[${key}]: Invalid value: "bogus": ${CIDR_MSG}`]);
  const annOk = await svc('ann-ok', { type: 'LoadBalancer' }, { [key]: '010.0.0.0/8,192.168.0.0/16' });
  assert.equal(annOk.status, 201, annOk.text);
});
