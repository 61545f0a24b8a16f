/**
 * ImageVerification with a TLS registry that wants credentials (Debian's docker-registry with
 * htpasswd) and Debian's notary-server: credentials come from the pod's imagePullSecrets or its
 * ServiceAccount's; a namespaced ImagePolicy takes its key from a Secret of its namespace; a Notary
 * authority admits a tag whose signed target is the image's digest (trust data written by the
 * real notary client) and denies an unsigned tag, a root pinned to another key, or a Notary server that is down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { CredentialKeyring } from '../../src/image-policy/registry/credentials.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { NotaryCli, notarySkip, startNotaryServer, type NotaryServer } from '../helpers/notary.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { clusterReady, createPolicy, pod, sign } from './admission-helpers.ts';
import { runImage } from '../../src/cli/image.ts';

const skip = registrySkip();

describe('ImageVerification with registry credentials, Secret keys and Notary', { skip }, () => {
  let reg: TestRegistry;
  let c: TestCluster;
  let work: string;
  let client: RegistryClient;
  let pusher: RegistryPusher;
  let dockerConfig: Record<string, unknown>;
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pubPem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  async function push(ref: string, text: string): Promise<string> {
    const dir = mkdtempSync(join(work, 'ctx-'));
    writeFileSync(join(dir, 'version.txt'), text);
    let out = '';
    const code = await runImage(['push', '--from-dir', dir, ref, '--entrypoint', '/bin/sh', '--registry-config', join(work, 'config.json'), '--ca-file', join(work, 'ca.pem')], (s) => (out += s));
    assert.equal(code, 0, out);
    return /@(sha256:[0-9a-f]{64})/.exec(out)![1]!;
  }

  async function namespace(name: string): Promise<void> {
    assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).status, 201);
    for (let i = 0; i < 400 && (await c.admin.get(`/api/v1/namespaces/${name}/serviceaccounts/default`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pull' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify(dockerConfig)).toString('base64') } };
    assert.equal((await c.admin.post(`/api/v1/namespaces/${name}/secrets`, secret)).status, 201);
  }

  before(async () => {
    reg = await startRegistry({ tls: true });
    work = mkdtempSync(join(tmpdir(), 'portcullis-admission-tls-'));
    dockerConfig = { auths: { [reg.host]: { auth: Buffer.from(`${reg.user!.username}:${reg.user!.password}`).toString('base64') } } };
    writeFileSync(join(work, 'config.json'), JSON.stringify(dockerConfig));
    writeFileSync(join(work, 'ca.pem'), reg.caPem!);
    const hosts = { [reg.host]: { caPem: reg.caPem! } };
    client = new RegistryClient({ hosts, keyring: new CredentialKeyring([dockerConfig as never]) });
    pusher = new RegistryPusher(client.transport);
    c = await startTestCluster({ admission: { imageVerification: { deadlineMs: 5000, registry: { hosts }, notaryFloorsFile: join(work, 'notary-floors.json') } } });
    await clusterReady(c.admin);
    await namespace('team');
  });
  after(async () => {
    client?.close();
    await c?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("an ImagePolicy's key from a Secret of its namespace; credentials from imagePullSecrets or the ServiceAccount", async () => {
    const digest = await push(`${reg.host}/team/app:v1`, 'team app');
    await sign(client, pusher, `${reg.host}/team/app:v1`, key.privateKey);
    const keySecret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cosign-pub' }, data: { 'cosign.pub': Buffer.from(pubPem).toString('base64') } };
    assert.equal((await c.admin.post('/api/v1/namespaces/team/secrets', keySecret)).status, 201);
    const policy = { apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'team-signed' }, spec: { images: [{ glob: `${reg.host}/team/**` }], authorities: [{ key: { secretRef: { name: 'cosign-pub' } } }] } };
    const other = await c.admin.post('/apis/policy.portcullis.dev/v1alpha1/namespaces/team/imagepolicies', { ...policy, metadata: { name: 'elsewhere' }, spec: { ...policy.spec, authorities: [{ key: { secretRef: { name: 'cosign-pub', namespace: 'kube-system' } } }] } });
    assert.equal(other.status, 422, other.text);
    assert.match(other.body.message, /an ImagePolicy may only name a Secret of its own namespace/);
    const created = await c.admin.post('/apis/policy.portcullis.dev/v1alpha1/namespaces/team/imagepolicies', policy);
    assert.equal(created.status, 201, created.text);

    // Without credentials the registry refuses the pull.
    const anon = await c.admin.post('/api/v1/namespaces/team/pods', pod('anonymous', `${reg.host}/team/app:v1`));
    assert.equal(anon.status, 403, anon.text);
    assert.match(anon.body.message, /ImagePolicy "team\/team-signed": IMAGE_NOT_FOUND: /);

    const withSecret = pod('with-secret', `${reg.host}/team/app:v1`) as any;
    withSecret.spec.imagePullSecrets = [{ name: 'pull' }];
    const r = await c.admin.post('/api/v1/namespaces/team/pods', withSecret);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.containers[0].image, `${reg.host}/team/app@${digest}`);

    // The ServiceAccount's pull secrets count as the kubelet counts them.
    const sa = await c.admin.patch('/api/v1/namespaces/team/serviceaccounts/default', { imagePullSecrets: [{ name: 'pull' }] }, 'application/merge-patch+json');
    assert.equal(sa.status, 200, sa.text);
    const viaSa = await c.admin.post('/api/v1/namespaces/team/pods', pod('via-sa', `${reg.host}/team/app:v1`));
    assert.equal(viaSa.status, 201, viaSa.text);

    // The policy is the namespace's own: another namespace's pods are not under it (no policy
    // matches there: NO_POLICY, not UNSIGNED).
    await namespace('other');
    const elsewhere = pod('unsigned-elsewhere', `${reg.host}/team/unsigned:v1`) as any;
    await push(`${reg.host}/team/unsigned:v1`, 'unsigned');
    elsewhere.spec.imagePullSecrets = [{ name: 'pull' }];
    const outside = await c.admin.post('/api/v1/namespaces/other/pods', elsewhere);
    assert.equal(outside.status, 403, outside.text);
    assert.match(outside.body.message, /: NO_POLICY: no image policy matches it/);
    const denied = await c.admin.post('/api/v1/namespaces/team/pods', elsewhere);
    assert.equal(denied.status, 403, denied.text);
    assert.match(denied.body.message, /ImagePolicy "team\/team-signed": UNSIGNED: /);
  });

  describe('a Notary authority', { skip: notarySkip() }, () => {
    let notary: NotaryServer;
    let cli: NotaryCli;
    let rootKeyId: string;
    const gunOf = () => `${reg.host}/notary/app`;

    before(async () => {
      notary = await startNotaryServer();
      cli = new NotaryCli(notary);
      await push(`${gunOf()}:v1`, 'notary v1');
      await push(`${gunOf()}:v2`, 'notary v2, never signed');
      const manifest = await client.getManifest(parseDockerRef(`${gunOf()}:v1`));
      await cli.run('init', gunOf());
      await cli.add(gunOf(), 'v1', manifest.bytes.toString('utf8'));
      await cli.run('publish', gunOf());
      // A second collection with trust data, under a policy pinning a root key it was not signed with.
      await push(`${reg.host}/notaryx/app:v1`, 'notaryx v1');
      await cli.run('init', `${reg.host}/notaryx/app`);
      await cli.add(`${reg.host}/notaryx/app`, 'v1', (await client.getManifest(parseDockerRef(`${reg.host}/notaryx/app:v1`))).bytes.toString('utf8'));
      await cli.run('publish', `${reg.host}/notaryx/app`);
      rootKeyId = await cli.rootKeyId();
      const notaryAuthority = (gun: string, keyIds: string[]) => ({ notary: { server: notary.url, caBundle: notary.tls.caPem, roots: [{ gun, keyIds }] } });
      await createPolicy(c.admin, 'notary', { images: [{ glob: `${reg.host}/notary/**` }], authorities: [notaryAuthority(`${reg.host}/notary/*`, [rootKeyId])] });
      await createPolicy(c.admin, 'notary-down', { images: [{ glob: `${reg.host}/notarydown/**` }], authorities: [{ notary: { server: 'https://127.0.0.1:1', roots: [{ keyIds: [rootKeyId] }] } }] });
      await push(`${reg.host}/notarydown/app:v1`, 'notary down');
      await createPolicy(c.admin, 'notary-other-root', { images: [{ glob: `${reg.host}/notaryx/**` }], authorities: [notaryAuthority(`${reg.host}/notaryx/*`, ['0'.repeat(64)])] });
    });
    after(async () => {
      cli?.cleanup();
      await notary?.stop();
    });

    const notaryPod = (name: string, image: string) => {
      const p = pod(name, image) as any;
      p.spec.imagePullSecrets = [{ name: 'pull' }];
      return p;
    };

    test('a tag whose signed target is the image digest is admitted and pinned; an unsigned tag is UNSIGNED', async () => {
      const digest = (await client.resolve(parseDockerRef(`${gunOf()}:v1`))).digest;
      const ok = await c.admin.post('/api/v1/namespaces/team/pods', notaryPod('notary-v1', `${gunOf()}:v1`));
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.body.spec.containers[0].image, `${gunOf()}@${digest}`);
      const v2 = await c.admin.post('/api/v1/namespaces/team/pods', notaryPod('notary-v2', `${gunOf()}:v2`));
      assert.equal(v2.status, 403, v2.text);
      assert.match(v2.body.message, /is not allowed by ClusterImagePolicy "notary": UNSIGNED: /);
      // The rollback floors of what was verified are kept on disk (notaryFloorsFile).
      let floors = '';
      for (let i = 0; i < 100 && !floors.includes(gunOf()); i++) {
        await new Promise((r) => setTimeout(r, 20));
        floors = existsSync(join(work, 'notary-floors.json')) ? readFileSync(join(work, 'notary-floors.json'), 'utf8') : '';
      }
      const doc = JSON.parse(floors);
      const entry = Object.entries(doc.floors as Record<string, { timestamp: number }>).find(([k]) => k.startsWith(`${gunOf()}\n`));
      assert.ok(entry && entry[1].timestamp >= 1, floors);
    });

    test('a Notary server that is down denies: REGISTRY_UNAVAILABLE', async () => {
      const r = await c.admin.post('/api/v1/namespaces/team/pods', notaryPod('notary-down', `${reg.host}/notarydown/app:v1`));
      assert.equal(r.status, 403, r.text);
      assert.match(r.body.message, /ClusterImagePolicy "notary-down": REGISTRY_UNAVAILABLE: /);
    });

    test('a root pinned to another key is UNTRUSTED_KEY', async () => {
      const r = await c.admin.post('/api/v1/namespaces/team/pods', notaryPod('notary-other', `${reg.host}/notaryx/app:v1`));
      assert.equal(r.status, 403, r.text);
      assert.match(r.body.message, /ClusterImagePolicy "notary-other-root": UNTRUSTED_KEY: /);
    });
  });
});
