/**
 * Cosign's legacy signature form (sigstore/cosign pkg/oci/static, sigstore/sigstore
 * pkg/signature/payload): a "simple signing" JSON payload naming the repository and the manifest
 * digest, stored as a layer of an OCI image tagged `sha256-<hex>.sig` in the image's repository,
 * with the base64 signature in the layer's `dev.cosignproject.cosign/signature` annotation.
 */
import type { ImageReference } from '../reference.ts';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/**
 * go-containerregistry's Repository.Name(), which cosign writes as the docker-reference: Docker
 * Hub is spelled index.docker.io there.
 */
export function cosignRepositoryName(ref: ImageReference): string {
  return `${ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain}/${ref.path}`;
}

/** The payload bytes, with Go's json.Marshal field order and `"optional":null` when empty. */
export function simpleSigningPayload(ref: ImageReference, digest: string, annotations?: Record<string, unknown>): Buffer {
  const p: SimpleSigningPayload = {
    critical: {
      identity: { 'docker-reference': cosignRepositoryName(ref) },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: annotations && Object.keys(annotations).length > 0 ? annotations : null,
  };
  return Buffer.from(JSON.stringify(p));
}

/** The tag cosign stores an image's signatures under: sha256:<hex> -> sha256-<hex>.sig. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}
