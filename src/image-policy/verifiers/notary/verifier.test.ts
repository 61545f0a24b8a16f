import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isImagePolicyError, ImagePolicyError, type ReasonCode } from '../../errors.ts';
import { buildRepo, ecdsaSigner, ed25519Signer, rsaRootSigner, sha256Hex, type RepoSpec } from '../../../../test/helpers/notary-metadata.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCert } from '../../../../test/image-policy/notation-fixtures.ts';
import { FileFloors } from './floors.ts';
import type { MetadataAnswer, MetadataFetcher, MetadataRequest } from './fetch-metadata.ts';
import { NotaryVerifier } from './verifier.ts';

const GUN = 'registry.example/team/app';
const SERVER = 'https://notary.example';
const NOW = Date.parse('2030-01-01T00:00:00Z');

class FakeNotary implements MetadataFetcher {
  files = new Map<string, Buffer>();
  requests: string[] = [];
  hang = false;
  async get({ gun, name, maxBytes, signal }: MetadataRequest): Promise<MetadataAnswer> {
    this.requests.push(name);
    if (this.hang) {
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new ImagePolicyError('REGISTRY_UNAVAILABLE', 'deadline exceeded'))));
    }
    const body = gun === GUN ? this.files.get(name) : undefined;
    if (!body) return { status: 404, body: Buffer.alloc(0) };
    if (body.length > maxBytes) throw new ImagePolicyError('OVERSIZE', `${body.length} > ${maxBytes}`);
    return { status: 200, body };
  }
}

const rootKey = rsaRootSigner(GUN, new Date(NOW - 86400_000));
const keys = { rootSigners: [rootKey], targetsKey: ecdsaSigner(), snapshotKey: ecdsaSigner(), timestampKey: ed25519Signer() };
const base = (over: Partial<RepoSpec> = {}): RepoSpec => ({ gun: GUN, ...keys, targets: { v1: 'manifest v1' }, ...over });
const digest = (content: string) => `sha256:${sha256Hex(content)}`;
const pin = { keyIds: [rootKey.id] };

function setup(spec: RepoSpec, now = () => NOW, extra: Partial<ConstructorParameters<typeof NotaryVerifier>[0]> = {}) {
  const fake = new FakeNotary();
  fake.files = buildRepo(spec).files;
  const v = new NotaryVerifier({ now, fetcher: fake, deadlineMs: 2000, ...extra });
  return { fake, v };
}

async function rejectsWith(p: Promise<unknown>, code: ReasonCode, text?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isImagePolicyError(err), String(err));
    assert.equal(err.code, code, err.message);
    if (text) assert.match(err.message, text);
    return true;
  });
}

describe('NotaryVerifier', () => {
  test('an rsa-x509 root signing with RSA-PSS, ecdsa targets/snapshot and an ed25519 timestamp verify; pinned by certificate or public key', async () => {
    const { v } = setup(base());
    const r = await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin });
    assert.equal(r.role, 'targets');
    const byPem = await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: { publicKeysPem: [rootKey.certPem] } });
    assert.equal(byPem.target, 'v1');
  });

  test("trust_pinning ca: a root certificate issued by a pinned CA (through its bundle's intermediate) is trusted; another or an expired CA is not", async () => {
    const around = (fromDays: number, toDays: number) => ({ notBefore: new Date(NOW + fromDays * 86400_000), notAfter: new Date(NOW + toDays * 86400_000) });
    const ca = makeCert({ subject: { O: 'acme', CN: 'notary root CA' }, ca: true, ...around(-30, 365) });
    const intermediate = makeCert({ subject: { O: 'acme', CN: 'notary intermediate' }, ca: true, issuer: ca, ...around(-30, 365) });
    const caRoot = rsaRootSigner(GUN, new Date(NOW - 86400_000), 3650, 'sha256', { cert: intermediate.forgeCert, key: intermediate.forgeKey, chainPem: intermediate.pem });
    const { v } = setup(base({ rootSigners: [caRoot] }));
    const r = await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: { caPem: [ca.pem] } });
    assert.equal(r.target, 'v1');
    const other = makeCert({ subject: { O: 'other', CN: 'other CA' }, ca: true, ...around(-30, 365) });
    await rejectsWith(setup(base({ rootSigners: [caRoot] })).v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: { caPem: [other.pem] } }), 'UNTRUSTED_KEY', /no root key matches the pinned root keys/);
    const old = makeCert({ subject: { O: 'acme', CN: 'old CA' }, ca: true, ...around(-300, -1) });
    const oldRoot = rsaRootSigner(GUN, new Date(NOW - 86400_000), 3650, 'sha256', { cert: old.forgeCert, key: old.forgeKey });
    await rejectsWith(setup(base({ rootSigners: [oldRoot] })).v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: { caPem: [old.pem] } }), 'UNTRUSTED_KEY', /no root key matches the pinned root keys/);
    await assert.rejects(setup(base()).v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: { caPem: [caRoot.certPem] } }), /is not a CA certificate/);
  });

  test('cached metadata answers without requests until the refresh interval, then is fetched again', async () => {
    let now = NOW;
    const { fake, v } = setup(base(), () => now, { refreshIntervalMs: 60_000 });
    await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin });
    const first = fake.requests.length;
    const again = await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin });
    assert.equal(again.cached, true);
    assert.equal(fake.requests.length, first);
    now += 61_000;
    await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin });
    // Unchanged snapshot and targets are not fetched again: only root and timestamp.
    assert.deepEqual(fake.requests.slice(first), ['root', 'timestamp']);
  });

  test('the cache keeps at most maxCacheBytes of metadata: the oldest repository goes first', async () => {
    const files = buildRepo(base()).files;
    const size = [...files].filter(([k]) => !/^\d+\.root$/.test(k)).reduce((n, [, b]) => n + b.length, 0);
    const { fake, v } = setup(base(), () => NOW, { maxCacheBytes: size + 10 });
    const byId = { server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin };
    const byPem = { ...byId, pin: { publicKeysPem: [rootKey.certPem] } };
    await v.verify(byId);
    assert.equal((await v.verify(byId)).cached, true);
    await v.verify(byPem);
    assert.equal((await v.verify(byPem)).cached, true);
    const before = fake.requests.length;
    assert.equal((await v.verify(byId)).cached, false);
    assert.ok(fake.requests.length > before);
  });

  test('a tampered targets file (not the bytes the snapshot signed) is SIGNATURE_INVALID', async () => {
    const { fake, v } = setup(base());
    const name = [...fake.files.keys()].find((k) => k.startsWith('targets.'))!;
    const body = fake.files.get(name)!;
    fake.files.set(name, Buffer.from(body.toString().replace(sha256ToB64('manifest v1'), sha256ToB64('evil'))));
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('evil'), pin }), 'SIGNATURE_INVALID', /checksum|bytes/);
  });

  test('a root signed by an unpinned key is UNTRUSTED_KEY, even when it lists the pinned one', async () => {
    const other = rsaRootSigner(GUN, new Date(NOW - 86400_000));
    const { v } = setup(base({ rootSigners: [other], rootKeys: [other, rootKey] }));
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'UNTRUSTED_KEY', /not pinned/);
    const { v: v2 } = setup(base({ rootSigners: [other] }));
    await rejectsWith(v2.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'UNTRUSTED_KEY');
  });

  test('a root certificate for another GUN is not a root key for this one', async () => {
    const foreign = rsaRootSigner('registry.example/other', new Date(NOW - 86400_000));
    const { v } = setup(base({ rootSigners: [foreign] }));
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: { keyIds: [foreign.id] } }), 'UNTRUSTED_KEY', /valid certificate/);
  });

  test('a root certificate that expires while its root is cached is METADATA_EXPIRED at the next update; a SHA-1 signed one never counts', async () => {
    let now = NOW;
    const shortLived = rsaRootSigner(GUN, new Date(NOW), 2);
    const { v } = setup(base({ rootSigners: [shortLived] }), () => now, { refreshIntervalMs: 1000 });
    const p = { keyIds: [shortLived.id] };
    await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: p });
    now += 3 * 86400_000;
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: p }), 'METADATA_EXPIRED', /validity period/);
    const sha1 = rsaRootSigner(GUN, new Date(NOW - 86400_000), 3650, 'sha1');
    const old = setup(base({ rootSigners: [sha1] }));
    await rejectsWith(old.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: { keyIds: [sha1.id] } }), 'UNTRUSTED_KEY', /no root key is a valid certificate/);
  });

  test('older timestamp, snapshot or targets served after newer ones is ROLLBACK', async () => {
    let now = NOW;
    const newer = buildRepo(base({ versions: { timestamp: 5, snapshot: 5, targets: 5 } })).files;
    const older = buildRepo(base({ versions: { timestamp: 4, snapshot: 4, targets: 4 } })).files;
    const { fake, v } = setup(base(), () => now, { refreshIntervalMs: 1000 });
    fake.files = newer;
    await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin });
    fake.files = older;
    now += 2000;
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'ROLLBACK', /timestamp.*version 4 is lower than version 5/);
    // A fresh timestamp over an old snapshot is caught at the snapshot.
    const mixed = buildRepo(base({ versions: { timestamp: 6, snapshot: 4, targets: 5 } })).files;
    fake.files = mixed;
    now += 2000;
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'ROLLBACK', /snapshot/);
  });

  test('rollback floors kept in a file survive a restart: older metadata replayed to a new verifier is ROLLBACK', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notary-floors-'));
    try {
      const file = join(dir, 'floors.json');
      const newer = buildRepo(base({ versions: { timestamp: 5, snapshot: 5, targets: 5 } })).files;
      const older = buildRepo(base({ versions: { timestamp: 4, snapshot: 4, targets: 4 } })).files;
      const first = new FileFloors(file, 100);
      const a = setup(base(), () => NOW, { floors: first });
      a.fake.files = newer;
      await a.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin });
      await first.flush();
      assert.match(readFileSync(file, 'utf8'), /"timestamp":5,"snapshot":5,"roles":\{"targets":5\}/);

      // A restart: a new verifier and store read the file; the replayed older metadata is refused.
      const b = setup(base(), () => NOW, { floors: new FileFloors(file, 100) });
      b.fake.files = older;
      await rejectsWith(b.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'ROLLBACK', /timestamp.*version 4 is lower than version 5/);
      // Without the file (in memory), the same replay would be believed: the file is what refuses it.
      const c = setup(base(), () => NOW);
      c.fake.files = older;
      assert.equal((await c.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin })).target, 'v1');

      // close() writes what is pending at once, synchronously (a server stopping).
      const closing = new FileFloors(file, 100);
      closing.set('other.example/app\nfp', { root: 1, timestamp: 9, snapshot: 9, roles: new Map([['targets', 9]]) });
      closing.close();
      assert.match(readFileSync(file, 'utf8'), /"other\.example\/app\\nfp":\{"root":1,"timestamp":9/);
      assert.match(readFileSync(file, 'utf8'), /"timestamp":5,"snapshot":5/, 'the floors loaded from the file are kept');

      // A write that fails is reported and the floors stay in memory (no unhandled rejection).
      const errors: string[] = [];
      const unwritable = new FileFloors(join(dir, 'missing-dir', 'floors.json'), 100, (e) => errors.push(e.message));
      unwritable.set('k', { root: 1, timestamp: 1, snapshot: 1, roles: new Map() });
      await unwritable.flush();
      assert.match(errors[0] ?? '', /ENOENT/);
      assert.equal(unwritable.get('k')?.timestamp, 1);

      writeFileSync(file, '{"version":1,"floors":{"x":{"root":-1}}}');
      assert.throws(() => new FileFloors(file, 100), /malformed entry "x"/);
      writeFileSync(file, 'garbage');
      assert.throws(() => new FileFloors(file, 100), /delete it to start over/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('expired timestamp, snapshot, targets or root is METADATA_EXPIRED', async () => {
    for (const role of ['timestamp', 'snapshot', 'targets', 'root'] as const) {
      const { v } = setup(base({ expires: { [role]: '2029-12-31T23:59:59.999999999Z' } }));
      await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'METADATA_EXPIRED', new RegExp(`^${role} `));
    }
  });

  test('targets/releases with threshold 2 counts only when two of its keys signed; it outranks targets', async () => {
    const [a, b] = [ecdsaSigner(), ed25519Signer()];
    const releases = { name: 'targets/releases', keys: [a, b], threshold: 2, paths: [''], targets: { v1: 'release build' } };
    const one = setup(base({ delegations: [{ ...releases, signers: [a] }] }));
    // One signature of two: the role is skipped and the tag falls back to targets.
    const r1 = await one.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin });
    assert.equal(r1.role, 'targets');
    const both = setup(base({ delegations: [{ ...releases, signers: [a, b] }] }));
    const r2 = await both.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('release build'), pin });
    assert.equal(r2.role, 'targets/releases');
    await rejectsWith(both.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'DIGEST_MISMATCH', /targets\/releases/);
    // Only in an under-signed role: the reason is the role's.
    const only = setup(base({ targets: {}, delegations: [{ ...releases, signers: [a] }] }));
    await rejectsWith(only.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('release build'), pin }), 'SIGNATURE_INVALID', /targets\/releases was skipped/);
  });

  test('an expired delegation is skipped (its reason reported when nothing else signed the tag); a tampered one fails the whole update', async () => {
    const rel = { name: 'targets/releases', signers: [ecdsaSigner()], threshold: 1, paths: [''], targets: { v2: 'release two' } };
    const expired = setup(base({ delegations: [{ ...rel, expires: '2029-06-01T00:00:00Z' }] }));
    assert.equal((await expired.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin })).role, 'targets');
    await rejectsWith(expired.v.verify({ server: SERVER, gun: GUN, tag: 'v2', digest: digest('release two'), pin }), 'METADATA_EXPIRED', /targets\/releases was skipped/);
    const tampered = setup(base({ delegations: [rel] }));
    const name = [...tampered.fake.files.keys()].find((k) => k.startsWith('targets/releases.'))!;
    tampered.fake.files.set(name, Buffer.from(tampered.fake.files.get(name)!.toString().replace('"version":1', '"version":2')));
    await rejectsWith(tampered.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'SIGNATURE_INVALID', /targets\/releases .*(checksum|bytes)/);
  });

  test('a custom role signs only names under its paths, and a child only within its parent paths', async () => {
    const [t, c] = [ecdsaSigner(), ecdsaSigner()];
    const spec = base({
      targets: {},
      delegations: [{
        name: 'targets/team', signers: [t], threshold: 1, paths: ['prod/'], targets: { 'prod/v1': 'prod one', 'dev/v1': 'dev one' },
        children: [{ name: 'targets/team/ci', signers: [c], threshold: 1, paths: ['prod/ci-', 'dev/'], targets: { 'prod/ci-7': 'ci seven', 'dev/x': 'dev x' } }],
      }],
    });
    const { v } = setup(spec);
    assert.equal((await v.verify({ server: SERVER, gun: GUN, tag: 'prod/v1', digest: digest('prod one'), pin })).role, 'targets/team');
    assert.equal((await v.verify({ server: SERVER, gun: GUN, tag: 'prod/ci-7', digest: digest('ci seven'), pin })).role, 'targets/team/ci');
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'dev/v1', digest: digest('dev one'), pin }), 'UNSIGNED');
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'dev/x', digest: digest('dev x'), pin }), 'UNSIGNED');
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, digest: digest('dev one'), pin }), 'UNSIGNED');
    // docker content trust's rule: only targets and targets/releases count.
    const docker = new NotaryVerifier({ now: () => NOW, fetcher: setup(spec).fake, acceptRoles: ['targets/releases', 'targets'] });
    await rejectsWith(docker.verify({ server: SERVER, gun: GUN, tag: 'prod/v1', digest: digest('prod one'), pin }), 'UNSIGNED', /signed only by targets\/team/);
  });

  test('root rotation: a new root signed by the trusted root keys is followed through the chain; one that is not is UNTRUSTED_KEY', async () => {
    let now = NOW;
    const newKey = rsaRootSigner(GUN, new Date(NOW - 86400_000));
    const twoPins = { keyIds: [rootKey.id, newKey.id] };
    const { fake, v } = setup(base(), () => now, { refreshIntervalMs: 1000 });
    await v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: twoPins });
    const v2 = buildRepo(base({ rootVersion: 2, rootSigners: [rootKey, newKey], rootKeys: [newKey] }));
    const v3 = buildRepo(base({ rootVersion: 3, rootSigners: [newKey], rootKeys: [newKey], targets: { v1: 'manifest v1', v2: 'manifest v2' } }));
    fake.files = new Map([...v3.files, ['2.root', v2.root]]);
    now += 2000;
    assert.equal((await v.verify({ server: SERVER, gun: GUN, tag: 'v2', digest: digest('manifest v2'), pin: twoPins })).target, 'v2');
    assert.ok(fake.requests.includes('2.root'));
    // Version 4 signed only by a key version 3 never listed (though it also lists a pinned key).
    const stranger = rsaRootSigner(GUN, new Date(NOW - 86400_000));
    fake.files = buildRepo(base({ rootVersion: 4, rootSigners: [stranger, rootKey], rootKeys: [stranger, rootKey] })).files;
    now += 2000;
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin: twoPins }), 'UNTRUSTED_KEY', /not signed by the root keys of trusted version 3/);
  });

  test('metadata larger than the limit is OVERSIZE; a server that never answers is REGISTRY_UNAVAILABLE within the deadline', async () => {
    const big = setup(base({ targets: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`t${i}`, `c${i}`])) }), () => NOW, { maxMetadataBytes: 20_000 });
    await rejectsWith(big.v.verify({ server: SERVER, gun: GUN, tag: 't1', digest: digest('c1'), pin }), 'OVERSIZE', /targets/);
    // Each file within its limit, all of them together over the update's budget.
    const roles = Array.from({ length: 6 }, (_, i) => ({ name: `targets/r${i}`, signers: [keys.targetsKey], threshold: 1, paths: [''], targets: Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`t${j}`, `r${i}-${j}`])) }));
    const many = setup(base({ delegations: roles }), () => NOW, { maxUpdateBytes: 12_000 });
    await rejectsWith(many.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'OVERSIZE');
    const slow = setup(base(), () => NOW, { deadlineMs: 50 });
    slow.fake.hang = true;
    await rejectsWith(slow.v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin }), 'REGISTRY_UNAVAILABLE', /within 50 ms|deadline/);
  });

  test('concurrent verifications of one repository share one update', async () => {
    const { fake, v } = setup(base());
    await Promise.all([1, 2, 3].map(() => v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('manifest v1'), pin })));
    assert.equal(fake.requests.filter((r) => r === 'timestamp').length, 1);
  });

  test('a pin without keys, a malformed key ID, GUN or digest is refused before any request', async () => {
    const { fake, v } = setup(base());
    await assert.rejects(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('x'), pin: {} }), /trust on first use/);
    await assert.rejects(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: digest('x'), pin: { keyIds: ['ABC'] } }), /64 lower-case hex/);
    await rejectsWith(v.verify({ server: SERVER, gun: '../etc', tag: 'v1', digest: digest('x'), pin }), 'IMAGE_NOT_FOUND');
    await rejectsWith(v.verify({ server: SERVER, gun: GUN, tag: 'v1', digest: 'sha256:abc', pin }), 'DIGEST_MISMATCH');
    assert.equal(fake.requests.length, 0);
  });
});

function sha256ToB64(s: string): string {
  return Buffer.from(sha256Hex(s), 'hex').toString('base64');
}
