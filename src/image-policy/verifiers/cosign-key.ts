/**
 * Cosign legacy signatures checked with public keys (what `cosign verify --key` does for the
 * tag-based form, offline: no transparency log). An image is signed when one layer of its
 * `sha256-<hex>.sig` image carries a simple-signing payload that a trusted key signed, whose
 * docker-manifest-digest is the image's digest and whose docker-reference names its repository.
 *
 * Codes: UNSIGNED (no signature image or no signature layer), UNTRUSTED_KEY (signatures, none
 * verifies under a trusted key), SIGNATURE_INVALID (a malformed signature or payload),
 * DIGEST_MISMATCH (a trusted signature for another digest: a moved tag or a copied signature),
 * SUBJECT_MISMATCH (a trusted signature for another repository).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ImagePolicyError, isImagePolicyError, type ReasonCode } from '../errors.ts';
import { parseNormalizedNamed, referenceName, referenceString, type ImageReference } from '../reference.ts';
import type { LookupOptions, RegistryClient } from '../registry/client.ts';
import type { ImageManifest } from '../registry/media-types.ts';
import { digestOf } from '../registry/digest.ts';
import { COSIGN_SIGNATURE_TYPE, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, signatureTag, simpleSigningPayload, type SimpleSigningPayload } from '../oci/cosign-payload.ts';

/** Payloads are a few hundred bytes; anything near this is not a simple-signing payload. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Signature layers looked at per image: a registry cannot make us verify without end. */
const MAX_SIGNATURES = 32;

export interface CosignKeyResult {
  digest: string;
  /** The signature layer that verified, and the index of the key that verified it. */
  layerDigest: string;
  keyIndex: number;
  /** What was checked, in order, for `portcullis image verify`. */
  checks: string[];
}

export function loadPublicKeys(pems: readonly string[]): KeyObject[] {
  return pems.map((pem) => {
    const k = createPublicKey(pem);
    if (!['ec', 'rsa', 'ed25519'].includes(k.asymmetricKeyType ?? '')) throw new Error(`unsupported public key type ${JSON.stringify(k.asymmetricKeyType)}`);
    return k;
  });
}

/**
 * The digests a key's signatures are checked under: SHA-256 (cosign verify's default, and what
 * `image sign` uses), and for P-384 / P-521 also the curve's own hash, which newer cosign signs
 * with (sigstore's LoadDefaultSignerVerifier). Ed25519 is pure Ed25519 (cosign's legacy
 * signatures; Ed25519ph is not supported by node:crypto).
 */
function hashesFor(key: KeyObject): (string | null)[] {
  if (key.asymmetricKeyType === 'ed25519') return [null];
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return ['sha256', 'sha384'];
  if (curve === 'secp521r1') return ['sha256', 'sha512'];
  return ['sha256'];
}

function verifies(key: KeyObject, payload: Buffer, sig: Buffer): boolean {
  return hashesFor(key).some((h) => {
    try {
      return verify(h, payload, key, sig);
    } catch {
      return false;
    }
  });
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Same repository, whichever spelling (index.docker.io, docker.io, busybox) each side uses. */
function sameRepository(dockerReference: string, ref: ImageReference): boolean {
  try {
    const r = parseNormalizedNamed(dockerReference);
    return referenceName({ domain: r.domain, path: r.path }) === referenceName({ domain: ref.domain, path: ref.path });
  } catch {
    return false;
  }
}

/** `bytes` are the layer's content: its size, and its digest under the layer's algorithm. */
function isLayer(layer: { size: number; digest: string }, bytes: Buffer): boolean {
  try {
    return layer.size === bytes.length && digestOf(bytes, layer.digest) === layer.digest;
  } catch {
    return false; // a malformed digest: the fetch below refuses it
  }
}

export async function verifyCosignKey(client: RegistryClient, ref: ImageReference, keys: readonly KeyObject[], o: LookupOptions = {}): Promise<CosignKeyResult> {
  if (keys.length === 0) throw new Error('no public keys to verify with');
  const checks: string[] = [];
  const digest = ref.digest ?? (await client.resolve(ref, o)).digest;
  checks.push(`${referenceString(ref)} is ${digest}`);
  const tag = signatureTag(digest);
  let sigManifest: ImageManifest;
  try {
    sigManifest = (await client.getManifest({ domain: ref.domain, path: ref.path, tag }, o)).json as ImageManifest;
  } catch (err) {
    if (isImagePolicyError(err, 'IMAGE_NOT_FOUND')) throw new ImagePolicyError('UNSIGNED', `${referenceString(ref)}: no signatures found (no ${tag} in the repository)`);
    throw err;
  }
  const layers = (sigManifest.layers ?? []).filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE).slice(0, MAX_SIGNATURES);
  if (layers.length === 0) throw new ImagePolicyError('UNSIGNED', `${referenceString(ref)}: ${tag} holds no cosign signature`);
  checks.push(`${tag}: ${layers.length} signature${layers.length === 1 ? '' : 's'}`);

  // The most telling failure is reported when nothing verifies.
  const rank: ReasonCode[] = ['DIGEST_MISMATCH', 'SUBJECT_MISMATCH', 'UNTRUSTED_KEY', 'SIGNATURE_INVALID'];
  let worst: ImagePolicyError | undefined;
  const fail = (code: ReasonCode, msg: string) => {
    const e = new ImagePolicyError(code, `${referenceString(ref)}: ${msg}`);
    if (!worst || rank.indexOf(code) < rank.indexOf(worst.code)) worst = e;
  };
  for (const layer of layers) {
    const b64 = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (!b64 || !BASE64.test(b64)) {
      fail('SIGNATURE_INVALID', `signature layer ${layer.digest} has no base64 ${SIGNATURE_ANNOTATION} annotation`);
      continue;
    }
    if (layer.size > MAX_PAYLOAD_BYTES) {
      fail('SIGNATURE_INVALID', `signature payload ${layer.digest} is ${layer.size} bytes, more than ${MAX_PAYLOAD_BYTES}`);
      continue;
    }
    // The payload cosign writes without annotations is known from the digest and repository: when
    // those bytes hash to the layer's digest they are the layer (what a fetch and re-hash would
    // establish), and the registry's slowest request, a blob, is saved. Otherwise the payload is
    // fetched by digest and re-hashed: a payload swapped in storage fails there, DIGEST_MISMATCH.
    const expected = simpleSigningPayload(ref, digest);
    const payload = isLayer(layer, expected) ? expected : await client.getBlob({ domain: ref.domain, path: ref.path }, layer, o);
    const sig = Buffer.from(b64, 'base64');
    const keyIndex = keys.findIndex((k) => verifies(k, payload, sig));
    if (keyIndex < 0) {
      fail('UNTRUSTED_KEY', `signature ${layer.digest} does not verify with any trusted key`);
      continue;
    }
    let p: SimpleSigningPayload;
    try {
      p = JSON.parse(payload.toString('utf8')) as SimpleSigningPayload;
    } catch {
      fail('SIGNATURE_INVALID', `signed payload ${layer.digest} is not JSON`);
      continue;
    }
    if (p?.critical?.type !== COSIGN_SIGNATURE_TYPE) {
      fail('SIGNATURE_INVALID', `signed payload ${layer.digest} has type ${JSON.stringify(p?.critical?.type)}, want ${JSON.stringify(COSIGN_SIGNATURE_TYPE)}`);
      continue;
    }
    const signedDigest = p.critical.image?.['docker-manifest-digest'];
    if (signedDigest !== digest) {
      fail('DIGEST_MISMATCH', `a trusted signature is for ${String(signedDigest)}, not ${digest}`);
      continue;
    }
    const signedRef = p.critical.identity?.['docker-reference'];
    if (typeof signedRef !== 'string' || !sameRepository(signedRef, ref)) {
      fail('SUBJECT_MISMATCH', `a trusted signature names ${JSON.stringify(signedRef)}, not ${referenceName({ domain: ref.domain, path: ref.path })}`);
      continue;
    }
    checks.push(`signature ${layer.digest} verifies with key ${keyIndex}`, `payload digest ${signedDigest} matches`, `payload docker-reference ${signedRef} matches`);
    return { digest, layerDigest: layer.digest, keyIndex, checks };
  }
  throw worst!;
}
