// The payload shortcut of cosign key verification, with a stub registry: the payload cosign
// writes without annotations is recognised by its digest and not fetched; any other payload is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, signatureTag, simpleSigningPayload } from '../oci/cosign-payload.ts';
import { signPayload } from '../oci/cosign-sign.ts';
import { sha256Digest } from '../registry/digest.ts';
import type { RegistryClient } from '../registry/client.ts';
import { verifyCosignKey } from './cosign-key.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ref = { domain: 'registry.example', path: 'team/app' };
const D = `sha256:${'d'.repeat(64)}`;

function stub(payload: Buffer): { client: RegistryClient; blobs: string[] } {
  const blobs: string[] = [];
  const layer = { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, digest: sha256Digest(payload), size: payload.length, annotations: { [SIGNATURE_ANNOTATION]: signPayload(privateKey, payload).toString('base64') } };
  const client = {
    getManifest: async (r: { tag?: string }) => {
      assert.equal(r.tag, signatureTag(D));
      return { json: { schemaVersion: 2, layers: [layer] } };
    },
    getBlob: async (_r: unknown, d: { digest: string }) => {
      blobs.push(d.digest);
      return payload;
    },
  } as unknown as RegistryClient;
  return { client, blobs };
}

test("cosign's own payload is known from the digest: verified without fetching it", async () => {
  const { client, blobs } = stub(simpleSigningPayload(ref, D));
  const r = await verifyCosignKey(client, { ...ref, digest: D }, [publicKey]);
  assert.equal(r.keyIndex, 0);
  assert.deepEqual(blobs, []);
});

test('a payload with annotations (or any other bytes) is fetched by digest and checked as before', async () => {
  const annotated = simpleSigningPayload(ref, D, { build: '42' });
  const { client, blobs } = stub(annotated);
  await verifyCosignKey(client, { ...ref, digest: D }, [publicKey]);
  assert.deepEqual(blobs, [sha256Digest(annotated)]);
  const other = simpleSigningPayload(ref, `sha256:${'e'.repeat(64)}`);
  const copied = stub(other);
  await assert.rejects(verifyCosignKey(copied.client, { ...ref, digest: D }, [publicKey]), /DIGEST_MISMATCH|is for sha256:e+, not sha256:d+/);
  assert.equal(copied.blobs.length, 1);
});
