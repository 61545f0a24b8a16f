/**
 * The pod-template-hash (controller.ComputeHash): FNV-32a over the template, then the collision
 * count as 8 little-endian bytes, printed in decimal and mapped through rand.SafeEncodeString
 * (no vowels, no 0/1/3, so no words and no confusable characters). Upstream hashes Go's spew dump
 * of the struct, which has no JavaScript equivalent; this hashes the template's canonical JSON
 * (keys sorted), so names differ from a real cluster's but have the same form and properties.
 */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function computeHash(template: unknown, collisionCount?: number): string {
  const bytes = new TextEncoder().encode(canonicalJson(template));
  let h = fnv32a(bytes);
  if (collisionCount !== undefined && collisionCount !== null) {
    const cc = new Uint8Array(8);
    new DataView(cc.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(cc, h);
  }
  return safeEncodeString(String(h));
}
