/**
 * --enable-priority-and-fairness=false: upstream's max-in-flight limits instead of APF. With
 * --max-mutating-requests-inflight=1, one create whose body never completes fills the mutating
 * limit: another user's write gets 429, reads and system:masters still pass, and no answer carries
 * the APF headers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { TestClient } from '../helpers/client.ts';

let cp: ControlPlane;
let dataDir: string;
const clients: TestClient[] = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'portcullis-maxinflight-'));
  cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false, flowControl: { enabled: false, maxRequestsInflight: 10, maxMutatingRequestsInflight: 1 } });
});

after(async () => {
  for (const c of clients) c.close();
  await cp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('max-in-flight: a full mutating limit refuses other writes with 429; reads and system:masters pass; no APF headers', async () => {
  const admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  clients.push(admin);
  const crb = await admin.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { metadata: { name: 'writer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'writer', apiGroup: 'rbac.authorization.k8s.io' }] });
  assert.equal(crb.status, 201, crb.text);
  assert.equal(crb.headers['x-kubernetes-pf-flowschema-uid'], undefined);
  const c = issueCert({ certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, { commonName: 'writer', organizations: [], usage: 'client', now: new Date(), validityDays: 1 });
  const writer = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: c.certPem, keyPem: c.keyPem });
  clients.push(writer);
  const url = new URL(cp.url);
  const held: TLSSocket = connect({ host: url.hostname, port: Number(url.port), ca: cp.pki.caCertPem, cert: c.certPem, key: c.keyPem, servername: 'localhost' }, () => {
    held.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
  });
  held.on('error', () => undefined);
  try {
    let r = await writer.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'a' } });
    for (let i = 0; i < 300 && r.status !== 429; i++) {
      await new Promise((res) => setTimeout(res, 20));
      r = await writer.post('/api/v1/namespaces/default/configmaps', { metadata: { name: `a${i}` } });
    }
    assert.equal(r.status, 429, r.text);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.body.message, 'Too many requests, please try again later.');
    assert.equal((await writer.get('/api/v1/namespaces/default/configmaps')).status, 200, 'reads have their own limit');
    assert.equal((await admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'by-admin' } })).status, 201, 'system:masters always passes');
  } finally {
    held.destroy();
  }
  assert.doesNotMatch((await admin.get('/metrics')).text, /apiserver_flowcontrol_/);
});
