/**
 * `portcullis image sign --bundle` and `verify` with key-signed Sigstore bundles, against Debian's
 * docker-registry (no referrers API: the sha256-<hex> tag index is written and read).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImage } from '../../src/cli/image.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { pushImage } from './admission-helpers.ts';

describe('portcullis image sign --bundle / verify', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let work: string;
  const files: Record<string, string> = {};
  const run = async (...argv: string[]) => {
    let out = '';
    assert.equal(await runImage(argv, (s) => (out += s)), 0, `portcullis image ${argv.join(' ')}`);
    return out;
  };

  before(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'portcullis-sigstore-cli-'));
    for (const [name, pair] of Object.entries({ ec: generateKeyPairSync('ec', { namedCurve: 'P-384' }), rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }), other: generateKeyPairSync('ec', { namedCurve: 'P-256' }), ed: generateKeyPairSync('ed25519') })) {
      writeFileSync((files[`${name}.key`] = join(work, `${name}.key`)), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writeFileSync((files[`${name}.pub`] = join(work, `${name}.pub`)), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    }
  });
  after(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('a bundle signed with an ECDSA or RSA key verifies with that key only; Ed25519 is refused for bundles', async () => {
    for (const k of ['ec', 'rsa']) {
      const ref = `${reg.host}/bundle/${k}:v1`;
      const digest = await pushImage(work, ref, `bundle-${k}`);
      const signed = await run('sign', ref, '--key', files[`${k}.key`]!, '--bundle');
      assert.match(signed, new RegExp(`^signed ${reg.host}/bundle/${k}@${digest}\\npushed bundle ${reg.host}/bundle/${k}@sha256:[0-9a-f]{64}\\n$`));
      const verified = await run('verify', ref, '--key', files['other.pub']!, '--key', files[`${k}.pub`]!);
      assert.match(verified, /ok: 1 Sigstore bundle refer/);
      assert.match(verified, /verifies, signed by key 1/);
      assert.match(verified, new RegExp(`verified ${reg.host}/bundle/${k}@${digest}\\n$`));
      await assert.rejects(runImage(['verify', ref, '--key', files['other.pub']!], () => undefined), /^Error: UNTRUSTED_KEY: .*does not verify with any trusted key/);
    }
    const ref = `${reg.host}/bundle/ed:v1`;
    await pushImage(work, ref, 'bundle-ed');
    await assert.rejects(runImage(['sign', ref, '--key', files['ed.key']!, '--bundle'], () => undefined), /Ed25519 keys cannot sign a bundle/);
    await assert.rejects(runImage(['verify', ref, '--key', files['ec.pub']!], () => undefined), /^Error: UNSIGNED: .*no signatures found .*, and no Sigstore bundle refers to the image/);
  });
});
