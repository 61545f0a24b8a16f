import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { binding, clusterRoleRef, group, role, roleRef, serviceAccount, user } from '../authz/rbac/testing.ts';
import { createCA } from '../pki/ca.ts';
import { issueCert } from '../pki/certs.ts';
import { renderKubeconfig, writeKubeconfig } from '../pki/kubeconfig.ts';
import { runWhoCan } from './who-can.ts';

// The TLS handshake checks validity against the real clock.
const NOW = new Date();
const ca = createCA({ commonName: 'ca', now: NOW, validityDays: 1 });
const serverCert = issueCert(ca, { commonName: 'apiserver', usage: 'server', now: NOW, validityDays: 1 });
const admin = issueCert(ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client', now: NOW, validityDays: 1 });

const LISTS: Record<string, object[]> = {
  '/apis/rbac.authorization.k8s.io/v1/clusterroles': [role('cluster-admin', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), role('view', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }])],
  '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings': [binding('cluster-admin', clusterRoleRef('cluster-admin'), [group('system:masters')])],
  '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles': [role('edit-pods', [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }], 'team')],
  '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings': [
    binding('viewers', clusterRoleRef('view'), [user('alice'), serviceAccount('default')], 'team'),
    binding('editors', roleRef('edit-pods'), [user('bob')], 'team'),
  ],
};

let server: Server;
let dataDir = '';
const seenClients: string[] = [];

before(async () => {
  server = createServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    seenClients.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN));
    const items = LISTS[req.url ?? ''];
    if (!items) return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', message: 'not found' }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'List', items }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dataDir = mkdtempSync(join(tmpdir(), 'who-can-'));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeKubeconfig(join(dataDir, 'admin.kubeconfig'), renderKubeconfig({ server: url, caCertPem: ca.certPem, clientCertPem: admin.certPem, clientKeyPem: admin.keyPem, userName: 'admin' }));
});
after(() => server.close());

async function run(argv: string[]): Promise<string> {
  let text = '';
  assert.equal(await runWhoCan([...argv, '--data-dir', dataDir], (s) => (text += s)), 0);
  return text;
}

test('who-can prints the table through the API server with the admin client certificate', async () => {
  const cases: Array<[string, string[], string]> = [
    ['namespaced, -n', ['delete', 'pods', '-n', 'team'], [
      'SUBJECT          KIND    NAMESPACE   BINDING                            ROLE',
      'system:masters   Group   <none>      ClusterRoleBinding/cluster-admin   ClusterRole/cluster-admin',
      'bob              User    <none>      RoleBinding/team/editors           Role/edit-pods',
    ].join('\n')],
    ['namespaced reads, --namespace=', ['list', 'pods', '--namespace=team'], [
      'SUBJECT          KIND             NAMESPACE   BINDING                            ROLE',
      'system:masters   Group            <none>      ClusterRoleBinding/cluster-admin   ClusterRole/cluster-admin',
      'bob              User             <none>      RoleBinding/team/editors           Role/edit-pods',
      'alice            User             <none>      RoleBinding/team/viewers           ClusterRole/view',
      'default          ServiceAccount   team        RoleBinding/team/viewers           ClusterRole/view',
    ].join('\n')],
    ['cluster-wide', ['list', 'pods'], [
      'SUBJECT          KIND    NAMESPACE   BINDING                            ROLE',
      'system:masters   Group   <none>      ClusterRoleBinding/cluster-admin   ClusterRole/cluster-admin',
    ].join('\n')],
  ];
  for (const [name, argv, table] of cases) {
    const text = await run(argv);
    assert.equal(text, `Note: members of group system:masters are always allowed (checked before RBAC).\n${table}\n`, name);
  }
  assert.ok(seenClients.length > 0 && seenClients.every((cn) => cn === 'admin'));
});

test('who-can refuses bad arguments and reports API errors', async () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no resource', ['get'], /usage: portcullis who-can/],
    ['unknown flag', ['get', 'pods', '--all'], /unknown flag: --all/],
    ['bad resource', ['get', 'pods/'], /invalid resource/],
    ['non-resource with namespace', ['get', '/healthz', '-n', 'x'], /non-resource URL takes no NAME or namespace/],
    ['namespace the fake server does not know', ['get', 'pods', '-n', 'nope'], /GET \/apis\/rbac.authorization.k8s.io\/v1\/namespaces\/nope\/roles: 404 not found/],
  ];
  for (const [name, argv, re] of cases) await assert.rejects(runWhoCan([...argv, '--data-dir', dataDir], () => {}), re, name);
  await assert.rejects(runWhoCan(['get', 'pods', '--data-dir', '/nonexistent'], () => {}), /kubeconfig '\/nonexistent\/admin.kubeconfig': open \/nonexistent\/admin.kubeconfig: no such file or directory \(run "portcullis up"/);
});
