/**
 * Notation signatures as `notation sign` writes them: a JWS envelope (flattened JSON) over the
 * payload {targetArtifact: the image's descriptor}, signing scheme notary.x509, the signing time,
 * optionally an expiry, the certificate chain in x5c; pushed as an OCI 1.1 referrer of the image
 * with artifactType application/vnd.cncf.notary.signature, its layer application/jose+json, and
 * the chain's SHA-256 thumbprints annotated as notation annotates them.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { FlattenedSign } from 'jose';
import type { ImageReference } from '../../reference.ts';
import type { RegistryClient } from '../../registry/client.ts';
import type { Descriptor } from '../../registry/media-types.ts';
import type { RegistryPusher } from '../../registry/push.ts';
import { attachReferrer } from '../../registry/attach-referrer.ts';
import { algorithmFor, H, JWS_MEDIA_TYPE, NOTATION_ARTIFACT_TYPE, NOTATION_PAYLOAD_TYPE } from './envelope.ts';

export interface NotationSignOptions {
  /** Leaf first; the key must be the leaf's. */
  chain: readonly X509Certificate[];
  now: Date;
  /** The signature's "best by" time (io.cncf.notary.expiry). */
  expiry?: Date;
}

/** RFC 3339 without fractional seconds, as the specification asks. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The JWS envelope bytes over `subject` (the image's manifest descriptor). */
export async function notationEnvelope(key: KeyObject, subject: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>, o: NotationSignOptions): Promise<Buffer> {
  const leaf = o.chain[0];
  if (!leaf || !leaf.checkPrivateKey(key)) throw new Error('the signing key is not the key of the first certificate of the chain');
  const alg = algorithmFor(leaf.publicKey);
  if (!alg) throw new Error('Notation signs with RSA 2048/3072/4096 or ECDSA P-256/P-384/P-521 keys only');
  const payload = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } }));
  const jws = await new FlattenedSign(payload)
    .setProtectedHeader({
      alg, cty: NOTATION_PAYLOAD_TYPE, crit: [H.signingScheme, ...(o.expiry ? [H.expiry] : [])],
      [H.signingScheme]: 'notary.x509', [H.signingTime]: rfc3339(o.now), ...(o.expiry && { [H.expiry]: rfc3339(o.expiry) }),
    })
    .setUnprotectedHeader({ x5c: o.chain.map((c) => c.raw.toString('base64')), [H.signingAgent]: 'portcullis' })
    .sign(key, { crit: { [H.signingScheme]: true, [H.expiry]: true } });
  return Buffer.from(JSON.stringify(jws));
}

/** Signs `subject` and pushes the signature as its referrer; returns the referrer's digest. */
export async function notationSign(client: RegistryClient, pusher: RegistryPusher, image: Pick<ImageReference, 'domain' | 'path'>, subject: Descriptor, key: KeyObject, o: NotationSignOptions): Promise<string> {
  const bytes = await notationEnvelope(key, subject, o);
  const thumbprints = o.chain.map((c) => createHash('sha256').update(c.raw).digest('hex'));
  return attachReferrer(client, pusher, image, subject, {
    artifactType: NOTATION_ARTIFACT_TYPE, layerMediaType: JWS_MEDIA_TYPE, bytes,
    annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(thumbprints), 'org.opencontainers.image.created': rfc3339(o.now) },
  });
}

/** The PEM certificates of a file (leaf first), for `--cert`. */
export function loadCertificateChain(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((b) => new X509Certificate(b));
}
