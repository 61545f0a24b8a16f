import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localServingRefusal, startLocalServingApprover, LOCAL_APPROVAL_REASON } from './local-serving-approver.ts';
import { nodeCertRequest, SERVING_USAGES, CLIENT_USAGES } from './node-certificates.ts';
import type { K8sObject } from '../client/types.ts';
import type { RestClient } from '../client/rest-client.ts';

const local = { nodeName: 'box', dnsNames: ['box', 'box.example'], ipAddresses: ['10.1.2.3'] };
const key = nodeCertRequest('box').keyPem;

function csr(o: { node?: string; username?: string; dns?: string[]; ips?: string[]; signer?: string; usages?: readonly string[]; status?: object } = {}): K8sObject {
  const req = nodeCertRequest(o.node ?? 'box', { dnsNames: o.dns ?? ['box'], ipAddresses: o.ips ?? ['10.1.2.3'] }, key);
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: `csr-${Math.random().toString(36).slice(2, 8)}` },
    spec: { signerName: o.signer ?? 'kubernetes.io/kubelet-serving', username: o.username ?? `system:node:${o.node ?? 'box'}`, usages: [...(o.usages ?? SERVING_USAGES)], request: req.request },
    status: o.status ?? {},
  };
}

test('the local agent\'s own pending serving request is approvable', () => {
  assert.equal(localServingRefusal(csr(), local), undefined);
  assert.equal(localServingRefusal(csr({ dns: ['box', 'box.example'] }), local), undefined);
});

test('anything else is left for a human, with the reason', () => {
  assert.match(localServingRefusal(csr({ node: 'other' }), local)!, /requested by system:node:other/);
  assert.match(localServingRefusal(csr({ username: 'system:node:box', node: 'other' }), local)!, /subject system:node:other is not system:node:box/);
  assert.match(localServingRefusal(csr({ username: 'alice' }), local)!, /requested by alice/);
  assert.match(localServingRefusal(csr({ dns: ['box', 'evil.example'] }), local)!, /names not of this host: evil\.example/);
  assert.match(localServingRefusal(csr({ ips: ['10.9.9.9'] }), local)!, /names not of this host: 10\.9\.9\.9/);
  assert.match(localServingRefusal(csr({ signer: 'kubernetes.io/kube-apiserver-client-kubelet' }), local)!, /not a kubelet-serving request/);
  assert.match(localServingRefusal(csr({ usages: CLIENT_USAGES }), local)!, /usages did not match/);
  assert.match(localServingRefusal(csr({ status: { conditions: [{ type: 'Denied', status: 'True' }] } }), local)!, /already decided/);
  assert.match(localServingRefusal({ ...csr(), spec: { ...csr().spec, request: 'bm90IGEgcmVxdWVzdA==' } }, local)!, /unreadable request/);
});

test('the approver approves only the local agent\'s request, through the approval subresource', async () => {
  const mine = csr();
  const theirs = csr({ node: 'other' });
  const updates: { obj: K8sObject; sub?: string }[] = [];
  const admin = {
    list: async () => ({ items: [mine, theirs], metadata: {} }),
    update: async (_r: unknown, _ns: string, obj: K8sObject, sub?: string) => {
      updates.push({ obj, sub });
      return obj;
    },
  } as unknown as RestClient;
  const logs: string[] = [];
  const a = startLocalServingApprover({ admin, local, log: { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(m) }, intervalMs: 60_000 });
  for (let i = 0; i < 50 && !updates.length; i++) await new Promise((r) => setTimeout(r, 10));
  await a.stop();
  assert.equal(updates.length, 1);
  assert.equal(updates[0]!.sub, 'approval');
  assert.equal(updates[0]!.obj.metadata.name, mine.metadata.name);
  assert.deepEqual((updates[0]!.obj.status?.conditions as { type: string; reason: string }[]).map((c) => [c.type, c.reason]), [['Approved', LOCAL_APPROVAL_REASON]]);
});
