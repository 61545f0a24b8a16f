/**
 * A Sigstore trusted root (trusted_root.json, as TUF distributes it) turned into the trust material
 * of @sigstore/verify — offline: the root is configuration, never fetched. The thresholds follow
 * what the root can vouch for, as sigstore-go's verifier options do for a given root: a
 * transparency-log entry is required when the root names a Rekor log, an SCT when it names a CT
 * log, and a trusted time (Rekor's integrated time or an RFC 3161 timestamp) whenever it names
 * either; a certificate always needs a trusted time (a Fulcio certificate lives ten minutes).
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial, type VerifierOptions } from '@sigstore/verify';

/** trusted_root.json of the public-good instance is ~7 KiB; a root this large is not one. */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;

export interface SigstoreTrust {
  material: TrustMaterial;
  options: Required<Pick<VerifierOptions, 'tlogThreshold' | 'ctlogThreshold' | 'timestampThreshold'>>;
  /** Whether the root has a certificate authority (keyless signatures can verify at all). */
  hasCertificateAuthority: boolean;
}

/** Key-based bundles get their keys from the authority (bundle-verify.ts), never from the root. */
export function loadTrustedRoot(text: string): SigstoreTrust {
  if (Buffer.byteLength(text) > MAX_TRUSTED_ROOT_BYTES) throw new Error(`trusted root is larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`trusted root is not JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('trusted root is not a JSON object');
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new Error(`trusted root has mediaType ${JSON.stringify(mediaType)}, want application/vnd.dev.sigstore.trustedroot…+json`);
  }
  missingStarts(json as RawRoot);
  let root: TrustedRoot;
  let material: TrustMaterial;
  try {
    root = TrustedRoot.fromJSON(json);
    material = toTrustMaterial(root, noKey);
  } catch (e) {
    throw new Error(`trusted root does not parse: ${(e as Error).message}`);
  }
  const tlogs = root.tlogs.length > 0;
  const ctlogs = root.ctlogs.length > 0;
  return {
    material,
    options: {
      tlogThreshold: tlogs ? 1 : 0,
      ctlogThreshold: ctlogs ? 1 : 0,
      timestampThreshold: tlogs || root.timestampAuthorities.length > 0 ? 1 : 0,
    },
    hasCertificateAuthority: root.certificateAuthorities.length > 0,
  };
}

/** An empty trusted root: key-based bundles with no log and no timestamp (cosign's offline key check). */
export function keysOnlyTrust(): SigstoreTrust {
  return {
    material: { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: noKey },
    options: { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
    hasCertificateAuthority: false,
  };
}

interface RawRoot {
  tlogs?: { publicKey?: { validFor?: { start?: unknown } } }[];
  ctlogs?: { publicKey?: { validFor?: { start?: unknown } } }[];
  certificateAuthorities?: { validFor?: { start?: unknown } }[];
  timestampAuthorities?: { validFor?: { start?: unknown } }[];
}

/**
 * A validity interval without its start is a malformed root (the TimeRange's start is required),
 * not an unbounded one; the protobuf decoder would read it as "valid since ever".
 */
function missingStarts(r: RawRoot): void {
  const check = (list: unknown, field: string, range: (e: never) => { start?: unknown } | undefined) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new Error(`trusted root: ${field} is not a list`);
    list.forEach((e, i) => {
      if (typeof range(e as never)?.start !== 'string') throw new Error(`trusted root: ${field}[${i}] has no validFor.start`);
    });
  };
  check(r.tlogs, 'tlogs', (e: { publicKey?: { validFor?: { start?: unknown } } }) => e?.publicKey?.validFor);
  check(r.ctlogs, 'ctlogs', (e: { publicKey?: { validFor?: { start?: unknown } } }) => e?.publicKey?.validFor);
  check(r.certificateAuthorities, 'certificateAuthorities', (e: { validFor?: { start?: unknown } }) => e?.validFor);
  check(r.timestampAuthorities, 'timestampAuthorities', (e: { validFor?: { start?: unknown } }) => e?.validFor);
}

function noKey(): never {
  throw new Error('no public key is trusted');
}
