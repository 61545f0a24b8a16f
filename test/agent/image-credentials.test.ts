/**
 * KEP-2535 against Debian's docker-registry (TLS, htpasswd): the real image store and registry
 * client, pods of three tenants on one node. Tenant A's Secret pulls a private image; tenant B's
 * IfNotPresent pod is sent to the registry with its own (no) credentials and refused, its Never
 * pod is told the image is not present; the records survive a new store on the same directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { buildImage } from '../../src/image-policy/oci/build.ts';
import { pushLayout } from '../../src/image-policy/oci/push-layout.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { CredentialKeyring } from '../../src/image-policy/registry/credentials.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import type { ApiClient, K8sObject } from '../../src/cluster/client/types.ts';
import { CrashBackoff } from '../../src/cluster/agent/crash-backoff.ts';
import { ensureImage, ImageWaiting } from '../../src/cluster/agent/image-pull.ts';
import { ImageStore } from '../../src/cluster/agent/runtime/image-store.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('KEP-2535 with a real registry: a Secret-pulled image stays its tenant\'s', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let work = '';
  let image = '';
  const secrets: Record<string, K8sObject> = {};
  const client = { get: async (_r: unknown, ns: string, name: string) => secrets[`${ns}/${name}`] ?? Promise.reject(new Error('not found')) } as unknown as ApiClient;
  const secret = (ns: string, name: string, user: string, password: string) => {
    secrets[`${ns}/${name}`] = { metadata: { namespace: ns, name, uid: `${ns}-${name}` }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [reg.host]: { auth: b64(`${user}:${password}`) } } })) } };
  };
  let n = 0;
  const pod = (ns: string, pullSecrets: string[]): Pod => ({ metadata: { namespace: ns, name: `p${++n}`, uid: `u${n}` }, spec: { containers: [], imagePullSecrets: pullSecrets.map((name) => ({ name })) } });
  const ensure = async (store: ImageStore, p: Pod, policy: Container['imagePullPolicy']) => {
    try {
      return { info: await ensureImage(store, client, new CrashBackoff(Date.now), Date.now, p, { name: 'c', image, imagePullPolicy: policy }) };
    } catch (err) {
      if (err instanceof ImageWaiting) return { waiting: err.waiting };
      throw err;
    }
  };

  before(async () => {
    reg = await startRegistry({ tls: true });
    work = mkdtempSync(join(tmpdir(), 'portcullis-kep2535-'));
    mkdirSync(join(work, 'rootfs'));
    writeFileSync(join(work, 'rootfs', 'hello.txt'), 'hello\n');
    await buildImage({ contextDir: join(work, 'rootfs'), outputDir: join(work, 'layout'), refName: 'v1' });
    image = `${reg.host}/team/app:v1`;
    const keyring = new CredentialKeyring([{ auths: { [reg.host]: { username: reg.user!.username, password: reg.user!.password } } }]);
    const pusher = new RegistryClient({ hosts: { [reg.host]: { caPem: reg.caPem! } }, keyring });
    try {
      await pushLayout(new RegistryPusher(pusher.transport), join(work, 'layout'), parseDockerRef(image), 'v1');
    } finally {
      pusher.close();
    }
    secret('a', 'pull', reg.user!.username, reg.user!.password);
    secret('c', 'wrong', reg.user!.username, 'not the password');
  });
  after(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('A pulls with its Secret; B (no Secret) and C (a wrong one) are sent to the registry and refused; Never hides the image; records outlive the store', async () => {
    const registry = new RegistryClient({ hosts: { [reg.host]: { caPem: reg.caPem! } } });
    const root = join(work, 'store');
    try {
      const store = new ImageStore({ root, registry });
      const a = await ensure(store, pod('a', ['pull']), 'IfNotPresent');
      assert.ok(a.info, JSON.stringify(a.waiting));
      assert.deepEqual(readdirSync(a.info.rootfs), ['hello.txt']);
      const b = await ensure(store, pod('b', []), 'IfNotPresent');
      assert.equal(b.waiting?.reason, 'ErrImagePull');
      assert.match(b.waiting?.message ?? '', /pull access denied|unauthorized|authentication/i);
      const c = await ensure(store, pod('c', ['wrong']), 'IfNotPresent');
      assert.equal(c.waiting?.reason, 'ErrImagePull');
      assert.deepEqual((await ensure(store, pod('b', []), 'Never')).waiting, { reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` });
      assert.ok((await ensure(store, pod('a', ['pull']), 'Never')).info, 'A\'s next pod runs it with Never');
      // The agent restarts: a new store on the same directory reads the records.
      const again = new ImageStore({ root, registry });
      assert.ok((await ensure(again, pod('a', ['pull']), 'Never')).info);
      assert.equal((await ensure(again, pod('b', []), 'Never')).waiting?.reason, 'ErrImageNeverPull');
      // NeverVerify is the old behaviour: everyone on the node may use it.
      const open = new ImageStore({ root, registry, pullCredentials: { policy: 'NeverVerify' } });
      assert.ok((await ensure(open, pod('b', []), 'IfNotPresent')).info);
    } finally {
      registry.close();
    }
  });
});
