/**
 * KEP-2535 through ensureImage: a fake registry that checks credentials, the real pull records
 * (files under a temporary root) and pods of different tenants sharing one node.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { CrashBackoff } from './crash-backoff.ts';
import { ensureImage, ImageWaiting } from './image-pull.ts';
import { ImagePullManager, type ImagePullManagerOptions } from './runtime/image-pull-manager.ts';
import { cacheFilename } from './runtime/image-pull-records.ts';
import type { ImageInfo, ImageService } from './runtime/types.ts';

const PRIVATE = 'registry.example/team/app:v1';
const PUBLIC = 'registry.example/public/tool:v1';
const PRELOADED = 'registry.example/team/base:v1';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Images by reference; the registry lets `team` images be pulled only with a known user:password. */
class FakeImages implements ImageService {
  have = new Map<string, string>();
  readonly pulls: string[] = [];
  accepted = new Set(['alice:secret', 'dave:other']);
  manager: ImagePullManager;
  constructor(root: string, o: Partial<ImagePullManagerOptions> = {}) {
    this.manager = new ImagePullManager({ root, ...o });
  }
  async imageStatus(ref: string): Promise<ImageInfo | undefined> {
    const digest = this.have.get(ref);
    return digest ? { ref, digest, config: {}, rootfs: '/x' } : undefined;
  }
  async pullImage(ref: string, auth?: { username: string; password: string }): Promise<ImageInfo> {
    this.pulls.push(`${ref} as ${auth ? auth.username : 'anonymous'}`);
    if (ref.includes('/team/') && !(auth && this.accepted.has(`${auth.username}:${auth.password}`))) throw new Error(`unauthorized: authentication required (${ref})`);
    const digest = `sha256:${Buffer.from(ref).toString('hex').padEnd(64, '0').slice(0, 64)}`;
    this.have.set(ref, digest);
    return { ref, digest, config: {}, rootfs: '/x' };
  }
  async removeImage(digest: string): Promise<void> {
    for (const [k, v] of this.have) if (v === digest) this.have.delete(k);
    this.manager.forgetImage(digest);
  }
  async listImages() {
    return [...new Set(this.have.values())].map((digest) => ({ digest }));
  }
  async pullManager() {
    await this.manager.start(this);
    return this.manager;
  }
}

const secrets: Record<string, K8sObject> = {};
function secret(ns: string, name: string, user: string, password: string, uid = `${ns}-${name}-uid`): void {
  secrets[`${ns}/${name}`] = {
    metadata: { namespace: ns, name, uid },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'registry.example': { auth: b64(`${user}:${password}`) } } })) },
  };
}
const client = { get: async (_r: unknown, ns: string, name: string) => secrets[`${ns}/${name}`] ?? Promise.reject(new Error('not found')) } as unknown as ApiClient;

let n = 0;
const pod = (ns: string, pullSecrets: string[]): Pod => ({ metadata: { namespace: ns, name: `p${++n}`, uid: `uid-${n}` }, spec: { containers: [], imagePullSecrets: pullSecrets.map((name) => ({ name })) } });
const ctr = (image: string, imagePullPolicy: Container['imagePullPolicy'] = 'IfNotPresent'): Container => ({ name: 'c', image, imagePullPolicy });

async function ensure(images: FakeImages, p: Pod, c: Container): Promise<{ info?: ImageInfo; waiting?: { reason: string; message?: string }; events: string[] }> {
  const events: string[] = [];
  try {
    const info = await ensureImage(images, client, new CrashBackoff(Date.now), Date.now, p, c, (_t, reason, message) => events.push(`${reason}: ${message}`));
    return { info, events };
  } catch (err) {
    if (!(err instanceof ImageWaiting)) throw err;
    return { waiting: err.waiting, events };
  }
}

describe('KEP-2535: images pulled with credentials stay theirs', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pull-records-'));
    secret('a', 'pull', 'alice', 'secret');
    secret('c', 'copy', 'alice', 'secret');
    secret('d', 'own', 'dave', 'other');
    secret('e', 'wrong', 'eve', 'guess');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test("tenant B's IfNotPresent pod does not run the image tenant A pulled with A's Secret: it pulls with its own (none) and fails", async () => {
    const images = new FakeImages(root);
    const a = await ensure(images, pod('a', ['pull']), ctr(PRIVATE));
    assert.ok(a.info);
    assert.deepEqual(images.pulls, [`${PRIVATE} as alice`]);
    const b = await ensure(images, pod('b', []), ctr(PRIVATE));
    assert.equal(b.waiting?.reason, 'ErrImagePull');
    assert.match(b.waiting?.message ?? '', /unauthorized/);
    assert.deepEqual(images.pulls.slice(1), [`${PRIVATE} as anonymous`], 'the registry was asked, with B\'s credentials');
    const e = await ensure(images, pod('e', ['wrong']), ctr(PRIVATE));
    assert.equal(e.waiting?.reason, 'ErrImagePull');
    // Never: as if the image were absent (the node does not reveal it has it).
    const never = await ensure(images, pod('b', []), ctr(PRIVATE, 'Never'));
    assert.deepEqual(never.waiting, { reason: 'ErrImageNeverPull', message: `Container image "${PRIVATE}" is not present with pull policy of Never` });
    assert.equal(images.pulls.length, 3, 'Never pulls nothing');
  });

  test('the Secret that pulled it, or another Secret with the same credential, uses it without a pull; a new valid credential pulls once', async () => {
    const images = new FakeImages(root);
    await ensure(images, pod('a', ['pull']), ctr(PRIVATE));
    const again = await ensure(images, pod('a', ['pull']), ctr(PRIVATE));
    assert.ok(again.info);
    assert.deepEqual(again.events, [`Pulled: Container image "${PRIVATE}" already present on machine and can be accessed by the pod`]);
    assert.ok((await ensure(images, pod('a', ['pull']), ctr(PRIVATE, 'Never'))).info, 'Never with access runs');
    // Same credential hash under other coordinates: allowed, and recorded.
    assert.ok((await ensure(images, pod('c', ['copy']), ctr(PRIVATE))).info);
    assert.equal(images.pulls.length, 1);
    const digest = images.have.get(PRIVATE)!;
    const record = (await images.pullManager()).files.getPulled(digest);
    assert.ok(record && typeof record === 'object');
    assert.deepEqual(record.credentialMapping['registry.example/team/app']?.kubernetesSecrets?.map((s) => `${s.namespace}/${s.name}`), ['a/pull', 'c/copy']);
    // Dave's own valid credential: one pull (the registry says yes), then no more.
    assert.ok((await ensure(images, pod('d', ['own']), ctr(PRIVATE))).info);
    assert.ok((await ensure(images, pod('d', ['own']), ctr(PRIVATE))).info);
    assert.deepEqual(images.pulls.slice(1), [`${PRIVATE} as dave`]);
    // Another tag of the same repository name shares the record by name (the credential mapping's key).
    images.have.set('registry.example/team/app:latest', digest);
    assert.ok((await ensure(images, pod('a', ['pull']), ctr('registry.example/team/app:latest', 'Never'))).info);
  });

  test('an anonymous pull makes the image every pod\'s; a preloaded image is anyone\'s under the default policy, nobody\'s under AlwaysVerify', async () => {
    const images = new FakeImages(root);
    await ensure(images, pod('b', []), ctr(PUBLIC));
    assert.ok((await ensure(images, pod('e', ['wrong']), ctr(PUBLIC, 'Never'))).info);
    images.have.set(PRELOADED, `sha256:${'b'.repeat(64)}`);
    assert.ok((await ensure(images, pod('b', []), ctr(PRELOADED, 'Never'))).info);
    assert.equal(images.pulls.length, 1);
    const strict = new FakeImages(mkdtempSync(join(root, 'strict-')), { policy: 'AlwaysVerify' });
    strict.have.set(PRELOADED, `sha256:${'b'.repeat(64)}`);
    assert.equal((await ensure(strict, pod('b', []), ctr(PRELOADED, 'Never'))).waiting?.reason, 'ErrImageNeverPull');
    assert.equal((await ensure(strict, pod('b', []), ctr(PRELOADED))).waiting?.reason, 'ErrImagePull');
    assert.ok((await ensure(strict, pod('a', ['pull']), ctr(PRELOADED))).info, 'A pulls it with its Secret');
    const allow = new FakeImages(mkdtempSync(join(root, 'allow-')), { policy: 'NeverVerifyAllowlistedImages', allowlist: ['registry.example/team/*'] });
    await ensure(allow, pod('a', ['pull']), ctr(PRIVATE));
    assert.ok((await ensure(allow, pod('b', []), ctr(PRIVATE))).info, 'allowlisted: no check, whoever pulled it');
  });

  test('records outlive the agent; a pull the agent died in leaves an intent that makes the image checked for everyone', async () => {
    const first = new FakeImages(root);
    await ensure(first, pod('a', ['pull']), ctr(PRIVATE));
    const restarted = new FakeImages(root);
    restarted.have = first.have;
    assert.ok((await ensure(restarted, pod('a', ['pull']), ctr(PRIVATE))).info);
    assert.equal((await ensure(restarted, pod('b', []), ctr(PRIVATE))).waiting?.reason, 'ErrImagePull');
    // A crash mid-pull: the intent was written, the image landed, no record was made.
    const crashed = mkdtempSync(join(root, 'crash-'));
    new ImagePullManager({ root: crashed }).recordPullIntent(PUBLIC);
    const after = new FakeImages(crashed);
    after.have.set(PUBLIC, `sha256:${'c'.repeat(64)}`);
    assert.equal((await ensure(after, pod('b', []), ctr(PUBLIC, 'Never'))).waiting?.reason, 'ErrImageNeverPull', 'not taken for a preloaded image');
    assert.deepEqual(readdirSync(join(crashed, 'image_manager', 'pulling')), [], 'the intent became a record');
    assert.ok((await ensure(after, pod('b', []), ctr(PUBLIC))).info, 'a pull with the pod\'s credentials (anonymous) settles it');
    assert.ok((await ensure(after, pod('e', []), ctr(PUBLIC, 'Never'))).info);
  });

  test('fail safe: an unreadable record means a pull; a removed image takes its record along; a rotated Secret keeps access', async () => {
    const images = new FakeImages(root);
    await ensure(images, pod('a', ['pull']), ctr(PRIVATE));
    const digest = images.have.get(PRIVATE)!;
    const file = join(root, 'image_manager', 'pulled', cacheFilename(digest));
    writeFileSync(file, '{"kind":"ImagePulledRecord",');
    assert.equal((await ensure(images, pod('a', ['pull']), ctr(PRIVATE, 'Never'))).waiting?.reason, 'ErrImageNeverPull');
    assert.ok((await ensure(images, pod('a', ['pull']), ctr(PRIVATE))).info, 'the pull rewrites the record');
    assert.ok((await ensure(images, pod('a', ['pull']), ctr(PRIVATE, 'Never'))).info);
    // The Secret's credential rotated (same namespace, name and uid): still the owner, the new hash recorded.
    images.accepted.add('alice:rotated');
    secret('a', 'pull', 'alice', 'rotated');
    assert.ok((await ensure(images, pod('a', ['pull']), ctr(PRIVATE, 'Never'))).info);
    await images.removeImage(digest);
    assert.deepEqual(readdirSync(join(root, 'image_manager', 'pulled')), []);
  });
});
