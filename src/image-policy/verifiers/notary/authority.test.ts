import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isImagePolicyError } from '../../errors.ts';
import type { NotaryVerifier, NotaryVerifyRequest } from './verifier.ts';
import { NotaryAuthority } from './authority.ts';

const ID = 'a'.repeat(64);

/** Records what the authority asks the verifier; the verification itself is tested in verifier.test.ts. */
function recorder(): { verifier: NotaryVerifier; asked: NotaryVerifyRequest[] } {
  const asked: NotaryVerifyRequest[] = [];
  const verifier = { verify: async (r: NotaryVerifyRequest) => (asked.push(r), { digest: r.digest, target: r.tag ?? '', role: 'targets', cached: false }) };
  return { verifier: verifier as unknown as NotaryVerifier, asked };
}

test('images map to docker content trust GUNs and targets; pins are chosen by GUN or prefix', async () => {
  const a = new NotaryAuthority({ server: 'https://notary.example:4443/', caPem: 'PEM', roots: { 'docker.io/library/*': { keyIds: [ID] }, 'reg.example/app': { keyIds: ['b'.repeat(64)] } } });
  assert.deepEqual(a.hosts, { 'notary.example:4443': { caPem: 'PEM' } });
  const { verifier, asked } = recorder();
  const d = `sha256:${'c'.repeat(64)}`;
  await a.verify(verifier, 'alpine', d);
  await a.verify(verifier, 'reg.example/app:v2', d);
  await a.verify(verifier, `reg.example/app@${d}`, d);
  assert.deepEqual(asked.map((r) => [r.server, r.gun, r.tag]), [
    ['https://notary.example:4443', 'docker.io/library/alpine', 'latest'],
    ['https://notary.example:4443', 'reg.example/app', 'v2'],
    ['https://notary.example:4443', 'reg.example/app', undefined],
  ]);
  await assert.rejects(a.verify(verifier, 'reg.example/other:v1', d), (e: unknown) => isImagePolicyError(e, 'UNTRUSTED_KEY'));
  await assert.rejects(a.verify(verifier, 'Not A Ref', d), (e: unknown) => isImagePolicyError(e, 'IMAGE_NOT_FOUND'));
});

test('bad configuration is refused when the authority is built', () => {
  assert.throws(() => new NotaryAuthority({ server: 'http://notary.example', roots: { x: { keyIds: [ID] } } }), /https/);
  assert.throws(() => new NotaryAuthority({ server: 'https://notary.example', roots: {} }), /at least one pinned root/);
  assert.throws(() => new NotaryAuthority({ server: 'https://notary.example', roots: { 'reg.example/*': {} } }), /reg\.example\/\*.*trust on first use/);
});
