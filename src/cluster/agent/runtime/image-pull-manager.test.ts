import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '../../../../test/helpers/temp-dir.ts';
import { ImagePullManager, MAX_NAMES, MAX_SECRETS } from './image-pull-manager.ts';
import { cacheFilename } from './image-pull-records.ts';

const REF = `sha256:${'d'.repeat(64)}`;
const s = (i: number) => ({ uid: `u${i}`, namespace: `ns${String(i).padStart(3, '0')}`, name: 'pull', credentialHash: `h${i}` });

test('records are the kubelet\'s files: sha256-named, ImagePullIntent / ImagePulledRecord JSON, no .tmp left', async () => {
  await withTempDir('pull-records-', async (root) => {
    const m = new ImagePullManager({ root, now: () => Date.parse('2026-12-07T12:00:00.5Z') });
    m.recordPullIntent('registry.example/app:v1');
    m.recordPullIntent('registry.example/app:v1');
    const intent = join(root, 'image_manager', 'pulling', cacheFilename('registry.example/app:v1'));
    assert.deepEqual(JSON.parse(readFileSync(intent, 'utf8')), { kind: 'ImagePullIntent', apiVersion: 'kubelet.config.k8s.io/v1beta1', image: 'registry.example/app:v1' });
    m.recordImagePulled('registry.example/app:v1', REF, { kubernetesSecrets: [s(2)] });
    assert.equal(readdirSync(join(root, 'image_manager', 'pulling')).length, 1, 'the intent stays while another pull of the image runs');
    m.recordImagePullFailed('registry.example/app:v1');
    assert.deepEqual(readdirSync(join(root, 'image_manager', 'pulling')), []);
    const pulled = join(root, 'image_manager', 'pulled', cacheFilename(REF));
    assert.deepEqual(JSON.parse(readFileSync(pulled, 'utf8')), {
      kind: 'ImagePulledRecord', apiVersion: 'kubelet.config.k8s.io/v1beta1', lastUpdatedTime: '2026-12-07T12:00:00Z', imageRef: REF,
      credentialMapping: { 'registry.example/app': { kubernetesSecrets: [s(2)] } },
    });
    assert.deepEqual(readdirSync(join(root, 'image_manager', 'pulled')), [cacheFilename(REF)]);
    // A write's temporary file that a crash left (writeFileAtomic's <name>.tmp-<random>) is no record.
    writeFileSync(`${intent}.tmp-0123456789ab`, JSON.stringify({ kind: 'ImagePullIntent', apiVersion: 'kubelet.config.k8s.io/v1beta1', image: 'registry.example/app:v1' }));
    assert.deepEqual(m.files.listIntents(), []);
  });
});

test('a record is bounded: at most MAX_SECRETS Secrets per name (the newest kept) and MAX_NAMES names (the oldest dropped)', async () => {
  await withTempDir('pull-records-', async (root) => {
    const m = new ImagePullManager({ root });
    for (let i = 0; i < MAX_SECRETS + 40; i++) m.recordImagePulled('registry.example/app:v1', REF, { kubernetesSecrets: [s(i)] });
    let r = m.files.getPulled(REF);
    assert.ok(r && typeof r === 'object');
    const secrets = r.credentialMapping['registry.example/app']!.kubernetesSecrets!;
    assert.equal(secrets.length, MAX_SECRETS);
    assert.ok(secrets.some((x) => x.uid === `u${MAX_SECRETS + 39}`), 'the last pull\'s Secret is kept');
    // The newest Secret still counts; a dropped one makes its pod pull again (never the other way round).
    assert.equal(await m.mustAttemptImagePull('registry.example/app:v1', REF, async () => [s(MAX_SECRETS + 39)]), false);
    assert.equal(await m.mustAttemptImagePull('registry.example/app:v1', REF, async () => [{ ...s(0), uid: 'other', credentialHash: 'x' }]), true);
    for (let i = 0; i < MAX_NAMES + 5; i++) m.recordImagePulled(`registry.example/n${i}:v1`, REF, { nodePodsAccessible: true });
    r = m.files.getPulled(REF);
    assert.ok(r && typeof r === 'object');
    assert.equal(Object.keys(r.credentialMapping).length, MAX_NAMES);
    assert.equal(r.credentialMapping['registry.example/app'], undefined, 'the oldest name went first');
    assert.deepEqual(r.credentialMapping[`registry.example/n${MAX_NAMES + 4}`], { nodePodsAccessible: true });
  });
});

test('at start: records of images no longer on the node, and unreadable ones, are dropped', async () => {
  await withTempDir('pull-records-', async (root) => {
    const old = new ImagePullManager({ root });
    old.recordImagePulled('registry.example/gone:v1', `sha256:${'e'.repeat(64)}`, { nodePodsAccessible: true });
    old.recordImagePulled('registry.example/here:v1', REF, { nodePodsAccessible: true });
    writeFileSync(join(root, 'image_manager', 'pulled', `sha256-${'f'.repeat(64)}`), 'garbage');
    const m = new ImagePullManager({ root });
    await m.start({ imageStatus: async () => undefined, listImages: async () => [{ digest: REF }] });
    assert.deepEqual(readdirSync(join(root, 'image_manager', 'pulled')), [cacheFilename(REF)]);
  });
});
