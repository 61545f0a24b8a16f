/**
 * A Notary authority as a trust policy names one: the server, its CA, and the pinned root keys
 * by GUN or GUN prefix ("registry.example/team/*"). Built once from configuration, so a malformed
 * pin or server is refused there and never reaches a request. An image maps to docker content
 * trust's names: the GUN is the normalised repository name (docker.io/library/alpine for
 * "alpine"), the target the tag ("latest" when the reference has neither tag nor digest, none
 * when it is by digest only).
 */
import { ImagePolicyError } from '../../errors.ts';
import { parseNormalizedNamed, referenceName, ReferenceError } from '../../reference.ts';
import type { RegistryHostConfig } from '../../registry/transport.ts';
import { compilePin, selectPin, type CompiledPin, type NotaryRootPin } from './trust-pin.ts';
import type { NotaryVerified, NotaryVerifier } from './verifier.ts';

export interface NotaryAuthorityConfig {
  /** https://host:port of the Notary server. */
  server: string;
  /** PEM CA bundle of the server's certificate (default: the system roots). */
  caPem?: string;
  /** Root pins by GUN, or by "prefix*" for every GUN under it. */
  roots: Readonly<Record<string, NotaryRootPin>>;
}

export class NotaryAuthority {
  readonly server: string;
  readonly caPem?: string;
  readonly #pins: Record<string, CompiledPin>;

  constructor(c: NotaryAuthorityConfig) {
    let url: URL;
    try {
      url = new URL(c.server);
    } catch {
      throw new Error(`notary server ${JSON.stringify(c.server)} is not a URL`);
    }
    if (url.protocol !== 'https:') throw new Error(`notary server ${JSON.stringify(c.server)} must be an https URL`);
    this.server = url.origin;
    this.caPem = c.caPem;
    const entries = Object.entries(c.roots);
    if (entries.length === 0) throw new Error('a notary authority needs at least one pinned root');
    this.#pins = Object.fromEntries(entries.map(([gun, pin]) => {
      try {
        return [gun, compilePin(pin)];
      } catch (err) {
        throw new Error(`notary root for ${JSON.stringify(gun)}: ${(err as Error).message}`);
      }
    }));
  }

  /** The verifier's transport configuration for this authority's server. */
  get hosts(): Record<string, RegistryHostConfig> {
    return this.caPem ? { [new URL(this.server).host]: { caPem: this.caPem } } : {};
  }

  /**
   * Verifies that `image` is signed for `digest` (the digest the registry resolved it to).
   * No pin for the image's GUN is UNTRUSTED_KEY: nothing this authority trusts could vouch for it.
   */
  async verify(verifier: NotaryVerifier, image: string, digest: string): Promise<NotaryVerified> {
    let ref;
    try {
      ref = parseNormalizedNamed(image);
    } catch (err) {
      if (err instanceof ReferenceError) throw new ImagePolicyError('IMAGE_NOT_FOUND', `${image}: ${err.message}`);
      throw err;
    }
    const gun = referenceName(ref);
    const pin = selectPin(gun, this.#pins);
    if (!pin) throw new ImagePolicyError('UNTRUSTED_KEY', `no notary root key is pinned for ${gun}`);
    const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
    return verifier.verify({ server: this.server, gun, tag, digest, pin });
  }
}
