/**
 * The bundle-verify cases of sigstore-conformance (../shared/conformance/sigstore, see its
 * SOURCE.txt), each run twice as upstream runs them: with the artifact's bytes and with its
 * "sha256:<hex>" digest. A case whose name ends in _fail must be refused; every other must verify.
 * Cases without a trusted_root.json use the production root stored beside them (never fetched).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundle } from '../../src/image-policy/verifiers/sigstore/bundle-verify.ts';
import { loadTrustedRoot } from '../../src/image-policy/verifiers/sigstore/trusted-root.ts';
import { isImagePolicyError } from '../../src/image-policy/errors.ts';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/sigstore');
const CASES = join(ROOT, 'test/assets/bundle-verify');
const PRODUCTION_ROOT = join(ROOT, '_production-trusted-root/targets/trusted_root.json');
const DEFAULT_IDENTITY = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * Cases that do not apply to the digest input, with the reason. Ed25519 signs the message itself
 * (no digest form), as sigstore-go's conformance client also declines.
 */
const DIGEST_SKIP: Record<string, string> = {};

const present = existsSync(CASES);
const read = (dir: string, f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined);

function runCase(dir: string, input: 'artifact' | 'digest'): void {
  const text = read(dir, 'bundle.sigstore.json')!;
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch {
    throw new Error('bundle is not JSON'); // bundle-malformed-json_fail
  }
  const artifact = existsSync(join(dir, 'artifact')) ? readFileSync(join(dir, 'artifact')) : readFileSync(join(CASES, 'a.txt'));
  const trust = loadTrustedRoot(read(dir, 'trusted_root.json') ?? readFileSync(PRODUCTION_ROOT, 'utf8'));
  const keyPem = read(dir, 'key.pub');
  const subject = input === 'artifact' ? { artifact } : { digest: `sha256:${createHash('sha256').update(artifact).digest('hex')}` };
  verifyBundle({
    bundle,
    subject,
    trust,
    ...(keyPem
      ? { keys: [createPublicKey(keyPem)] }
      : { identities: [{ subject: (read(dir, 'identity') ?? DEFAULT_IDENTITY).trim(), issuer: (read(dir, 'issuer') ?? DEFAULT_ISSUER).trim() }] }),
  });
}

const names = present ? readdirSync(CASES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];

test('the conformance cases are present', { skip: present ? false : `no ${CASES}` }, () => {
  assert.equal(names.length, 70);
});

for (const name of names) {
  for (const input of ['artifact', 'digest'] as const) {
    const skip = input === 'digest' ? DIGEST_SKIP[name] : undefined;
    test(`${name} (${input})`, { skip: skip ?? false }, () => {
      const dir = join(CASES, name);
      if (name.endsWith('_fail')) {
        assert.throws(() => runCase(dir, input), (e: unknown) => e instanceof Error);
      } else {
        try {
          runCase(dir, input);
        } catch (e) {
          assert.fail(`${name} must verify: ${isImagePolicyError(e) ? `${e.code}: ` : ''}${(e as Error).message}`);
        }
      }
    });
  }
}
