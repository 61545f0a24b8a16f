/**
 * The API server's identity as kube-apiserver derives it (genericapiserver NewConfig): `apiserver-`
 * and the lower-case unpadded base32 of the first 16 bytes of SHA-256 over the length-prefixed
 * hostname and "kube-apiserver". Upstream's metrics label it hashed (apiserver_id_hash), so
 * servers on one host report one identity across restarts.
 */
import { createHash } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, no padding. */
function base32(data: Buffer): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const byte of data) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

/** cryptobyte's AddUint16LengthPrefixed. */
function lengthPrefixed(s: string): Buffer {
  const data = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(data.length);
  return Buffer.concat([len, data]);
}

export function apiServerId(hostname: string): string {
  const hash = createHash('sha256').update(Buffer.concat([lengthPrefixed(hostname), lengthPrefixed('kube-apiserver')])).digest();
  return `apiserver-${base32(hash.subarray(0, 16)).toLowerCase()}`;
}
