/**
 * Notary (docker content trust) verification against Debian's notary-server, with trust data
 * written by the real notary client: a signed tag verifies to its digest; a wrong pinned root
 * key, a moved tag, an unsigned tag and expired metadata are refused with their reason codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NotaryAuthority } from '../../src/image-policy/verifiers/notary/authority.ts';
import { NotaryVerifier } from '../../src/image-policy/verifiers/notary/verifier.ts';
import { NotaryCli, digestOf, notarySkip, reason, saveMetadata, startNotaryServer, startReplayServer, type NotaryServer } from '../helpers/notary.ts';

const skip = notarySkip();
const rejectsWith = (p: Promise<unknown>, code: Parameters<typeof reason>[0], text?: RegExp) => assert.rejects(p, reason(code, text));

describe('notary verification with the real notary-server and client', { skip }, () => {
  let server: NotaryServer;
  let cli: NotaryCli;
  let rootKeyId: string;
  const gun = 'registry.example/team/app';

  before(async () => {
    server = await startNotaryServer();
    cli = new NotaryCli(server);
    await cli.run('init', gun);
    await cli.add(gun, 'v1', 'manifest v1');
    await cli.run('publish', gun);
    rootKeyId = await cli.rootKeyId();
  });
  after(async () => {
    cli?.cleanup();
    await server?.stop();
  });

  const verifier = (now = () => Date.now()) => new NotaryVerifier({ now, hosts: { [new URL(server.url).host]: { caPem: server.tls.caPem } }, deadlineMs: 5000 });

  test('a signed tag verifies to the digest of its target, pinned by the root key ID notary prints', async () => {
    const v = verifier();
    const r = await v.verify({ server: server.url, gun, tag: 'v1', digest: digestOf('manifest v1'), pin: { keyIds: [rootKeyId] } });
    assert.deepEqual(r, { digest: digestOf('manifest v1'), target: 'v1', role: 'targets', cached: false });
    const again = await v.verify({ server: server.url, gun, tag: 'v1', digest: digestOf('manifest v1'), pin: { keyIds: [rootKeyId] } });
    assert.equal(again.cached, true);
    v.close();
  });

  test('a by-digest reference verifies when some signed target has that digest', async () => {
    const v = verifier();
    const r = await v.verify({ server: server.url, gun, digest: digestOf('manifest v1'), pin: { keyIds: [rootKeyId] } });
    assert.equal(r.target, 'v1');
    await rejectsWith(v.verify({ server: server.url, gun, digest: digestOf('never signed'), pin: { keyIds: [rootKeyId] } }), 'UNSIGNED');
    v.close();
  });

  test('a root pinned to another key is UNTRUSTED_KEY', async () => {
    const v = verifier();
    await rejectsWith(v.verify({ server: server.url, gun, tag: 'v1', digest: digestOf('manifest v1'), pin: { keyIds: ['0'.repeat(64)] } }), 'UNTRUSTED_KEY', /pinned/);
    v.close();
  });

  test('an image whose digest is not the signed one is DIGEST_MISMATCH; an unsigned tag is UNSIGNED; an unknown GUN is UNSIGNED', async () => {
    const v = verifier();
    const pin = { keyIds: [rootKeyId] };
    await rejectsWith(v.verify({ server: server.url, gun, tag: 'v1', digest: digestOf('another manifest'), pin }), 'DIGEST_MISMATCH');
    await rejectsWith(v.verify({ server: server.url, gun, tag: 'v9', digest: digestOf('manifest v1'), pin }), 'UNSIGNED');
    await rejectsWith(v.verify({ server: server.url, gun: 'registry.example/none', tag: 'v1', digest: digestOf('manifest v1'), pin }), 'UNSIGNED');
    v.close();
  });

  test('metadata past its expiry (the clock far ahead) is METADATA_EXPIRED', async () => {
    const v = verifier(() => Date.now() + 30 * 24 * 3600_000);
    await rejectsWith(v.verify({ server: server.url, gun, tag: 'v1', digest: digestOf('manifest v1'), pin: { keyIds: [rootKeyId] } }), 'METADATA_EXPIRED', /timestamp/);
    v.close();
  });

  test('through an authority: the image reference names the GUN and tag, the root is pinned by GUN prefix', async () => {
    const authority = new NotaryAuthority({ server: server.url, caPem: server.tls.caPem, roots: { 'registry.example/team/*': { keyIds: [rootKeyId] } } });
    const v = new NotaryVerifier({ now: Date.now, hosts: authority.hosts });
    assert.equal((await authority.verify(v, 'registry.example/team/app:v1', digestOf('manifest v1'))).target, 'v1');
    await rejectsWith(authority.verify(v, 'registry.example/team/app', digestOf('manifest v1')), 'UNSIGNED', /"latest"/);
    v.close();
  });

  test('a server that asks for a bearer token (notary-server with token auth) is answered through the realm', async () => {
    const replay = await startReplayServer(server.tls, await saveMetadata(server, gun), 's3cret');
    const v = new NotaryVerifier({ now: Date.now, hosts: { [new URL(replay.url).host]: { caPem: server.tls.caPem } } });
    try {
      assert.equal((await v.verify({ server: replay.url, gun, tag: 'v1', digest: digestOf('manifest v1'), pin: { keyIds: [rootKeyId] } })).target, 'v1');
      assert.ok(replay.seen.includes('Bearer s3cret'));
    } finally {
      v.close();
      await replay.close();
    }
  });
});
