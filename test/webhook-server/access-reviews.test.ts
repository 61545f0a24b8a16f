/**
 * `portcullis webhook` as an existing cluster's authorization and token authentication webhook:
 * a Portcullis API server with --authorization-mode ...,Webhook and a webhook token authenticator
 * pointed at /authorize and /authenticate. A token from the webhook's token file authenticates;
 * the user is allowed what a Role in the webhook's policy files allows and nothing else.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookTokenAuthenticator } from '../../src/authn/webhook-token.ts';
import { runWebhook } from '../../src/cli/webhook.ts';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { TestClient } from '../helpers/client.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const now = new Date();
const ca = createCA({ commonName: 'webhook-ca', now, validityDays: 1 });
const serving = issueCert(ca, { commonName: 'portcullis-webhook', usage: 'server', ipAddresses: ['127.0.0.1'], now, validityDays: 1 });
const b64 = (s: string) => Buffer.from(s).toString('base64');

function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: ca.certPem, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('portcullis webhook as authorization and token authentication webhook', () => {
  let work: string;
  let url: string;
  let stop: () => void;
  let done: Promise<number>;
  let c: TestCluster;
  let anon: TestClient;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'portcullis-webhook-authz-'));
    const policies = join(work, 'policies');
    mkdirSync(policies);
    writeFileSync(join(policies, 'rbac.yaml'), `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader, namespace: team}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-read, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}]
`);
    writeFileSync(join(work, 'tokens.csv'), 'alice-token,alice,alice-uid,"devs"\n');
    for (const [f, text] of [['tls.crt', serving.certPem], ['tls.key', serving.keyPem]] as const) writeFileSync(join(work, f), text);
    const stopSignal = new Promise<void>((r) => (stop = r));
    let printed = '';
    url = await new Promise<string>((resolve, reject) => {
      done = runWebhook(['--tls-cert-file', join(work, 'tls.crt'), '--tls-private-key-file', join(work, 'tls.key'), '--policies', policies, '--token-auth-file', join(work, 'tokens.csv'), '--port', '0', '--bind-address', '127.0.0.1', '--log-level', 'silent'], (s) => {
        printed += s;
        const m = /serving on (https:\/\/[^ ]+)/.exec(printed);
        if (m) resolve(m[1]!);
      }, stopSignal);
      done.then((code) => reject(new Error(`portcullis webhook exited ${code}: ${printed}`)), reject);
    });
    const kubeconfig = (path: string) => {
      const file = join(work, `${path}.kubeconfig`);
      writeFileSync(file, `clusters: [{name: w, cluster: {server: "${url}/${path}", certificate-authority-data: ${b64(ca.certPem)}}}]
users: [{name: apiserver, user: {}}]
contexts: [{name: c, context: {cluster: w, user: apiserver}}]
current-context: c
`);
      return file;
    };
    c = await startTestCluster({
      authorizationModes: ['Node', 'RBAC', 'Webhook'],
      authorizationFiles: { webhookConfigFile: kubeconfig('authorize') },
      authn: { tokenAuthenticators: [new WebhookTokenAuthenticator({ configFile: kubeconfig('authenticate') })] },
    });
    anon = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem });
  });

  after(async () => {
    await c?.close();
    stop?.();
    await done;
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  test('a token of the webhook\'s file authenticates; the Role of its files allows reading ConfigMaps, and only that', async () => {
    const list = await anon.get('/api/v1/namespaces/team/configmaps', as('alice-token'));
    assert.equal(list.status, 200, list.text);
    const del = await anon.req('DELETE', '/api/v1/namespaces/team/configmaps/x', as('alice-token'));
    assert.equal(del.status, 403, del.text);
    assert.match(del.body.message, /User "alice" cannot delete resource "configmaps" in API group "" in the namespace "team"/);
    const other = await anon.get('/api/v1/namespaces/other/configmaps', as('alice-token'));
    assert.equal(other.status, 403, other.text);
    assert.equal((await anon.get('/api/v1/namespaces/team/configmaps', as('nobody-token'))).status, 401);
  });

  test('the reviews on the wire: allowed with RBAC\'s reason, no opinion without denied, bad reviews 400', async () => {
    const sar = (verb: string) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'alice', groups: ['devs'], resourceAttributes: { namespace: 'team', verb, resource: 'configmaps' } } });
    const yes = JSON.parse((await post(`${url}/authorize`, sar('list'))).text);
    assert.equal(yes.status.allowed, true);
    assert.equal(yes.status.reason, 'RBAC: allowed by RoleBinding "devs-read/team" of Role "cm-reader" to Group "devs"');
    const no = JSON.parse((await post(`${url}/authorize`, sar('delete'))).text);
    assert.equal(no.status.allowed, false);
    assert.equal(no.status.denied, undefined);
    const bad = await post(`${url}/authorize`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'alice' } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /exactly one of spec.nonResourceAttributes or spec.resourceAttributes must be specified/);
    const who = JSON.parse((await post(`${url}/authenticate`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'alice-token' } })).text);
    assert.deepEqual(who.status, { user: { username: 'alice', uid: 'alice-uid', groups: ['devs', 'system:authenticated'] }, authenticated: true });
    const empty = await post(`${url}/authenticate`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: {} });
    assert.equal(empty.status, 400);
    assert.match(empty.text, /token is required for TokenReview in authentication/);
  });
});
