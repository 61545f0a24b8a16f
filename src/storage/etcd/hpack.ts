/**
 * HPACK (RFC 7541), as much as the etcd client's own HTTP/2 connection needs (h2-session.ts):
 * a full decoder (static and dynamic table, table size updates, Huffman strings), since etcd's
 * Go server compresses its response headers and trailers with all of it; and an encoder of
 * request headers as literals without indexing (the dynamic table is never used on the way out,
 * so the bytes of a call's headers can be built once and sent again).
 *
 * Strings are read as latin1, one character per octet, so an entry's size is its string
 * lengths plus 32 as the RFC counts it.
 */

/** Appendix A: index 1..61. */
const STATIC: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/**
 * Appendix B's code lengths of symbols 0..256 (256 is EOS), one base-32 digit each. The code is
 * canonical (codes of one length are consecutive in symbol order, shorter lengths first), so the
 * lengths determine every code; the unit test checks a few of the RFC's codes and its examples.
 */
const HUFFMAN_LENGTHS =
  'dnsssssssoussussssssssusssssssss6aacd68baa8b8666555666666678f6ca' +
  'd67777777777777777777777878djde6f56565666577666567655677777fbeds' +
  'kmkkmmmnmnnnnnonoomnonnnnlmnmnnomlkmmnnlnmmolmnnllmlnmnnkmmmnmmn' +
  'qqkjmnmpqqqrrqopjlqrrqrollqqsrrrkoklmllnmmppooqnqrqqrrrrrsrrrrrq' +
  'u';

const EOS = 256;

/** Canonical decoding tables: per length, the first code, how many codes, where they start in SYMBOLS. */
const huffman = (() => {
  const lengths = [...HUFFMAN_LENGTHS].map((c) => parseInt(c, 32));
  const symbols = lengths.map((_, s) => s).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const first = new Array<number>(31).fill(0);
  const count = new Array<number>(31).fill(0);
  const start = new Array<number>(31).fill(0);
  let code = 0;
  let len = lengths[symbols[0]];
  symbols.forEach((s, i) => {
    const l = lengths[s];
    code *= 2 ** (l - len);
    len = l;
    if (count[l] === 0) {
      first[l] = code;
      start[l] = i;
    }
    count[l]++;
    code++;
  });
  return { symbols, first, count, start, min: lengths[symbols[0]] };
})();

export class HpackError extends Error {}

function huffmanDecode(buf: Buffer, from: number, to: number): string {
  const { symbols, first, count, start, min } = huffman;
  let out = '';
  let code = 0;
  let len = 0;
  for (let i = from; i < to; i++) {
    const byte = buf[i];
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      if (len < min) continue;
      const k = code - first[len];
      if (count[len] > 0 && k >= 0 && k < count[len]) {
        const sym = symbols[start[len] + k];
        if (sym === EOS) throw new HpackError('hpack: EOS in a Huffman string');
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len > 30) throw new HpackError('hpack: invalid Huffman code');
    }
  }
  // Padding: fewer than 8 bits, all ones (the most significant bits of EOS).
  if (len > 7 || code !== 2 ** len - 1) throw new HpackError('hpack: invalid Huffman padding');
  return out;
}

/** A header block's fields, in order: [name, value] (shared with the tables: read, never changed). */
export type HeaderList = (readonly [string, string])[];

interface DynamicEntry {
  field: readonly [string, string];
  size: number;
}

export class HpackDecoder {
  /** Newest first. */
  private readonly dynamic: DynamicEntry[] = [];
  private size = 0;
  private maxSize: number;
  /** The most the peer may set (our SETTINGS_HEADER_TABLE_SIZE). */
  private readonly limit: number;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  constructor(limit = 4096) {
    this.limit = limit;
    this.maxSize = limit;
  }

  decode(block: Buffer): HeaderList {
    this.buf = block;
    this.pos = 0;
    const out: HeaderList = [];
    while (this.pos < block.length) {
      const b = block[this.pos];
      if (b & 0x80) {
        out.push(this.entry(this.int(7)));
      } else if (b & 0x40) {
        const field = this.literal(6);
        this.add(field);
        out.push(field);
      } else if (b & 0x20) {
        const size = this.int(5);
        if (size > this.limit) throw new HpackError(`hpack: table size ${size} over ${this.limit}`);
        this.maxSize = size;
        this.evict(0);
      } else {
        out.push(this.literal(4));
      }
    }
    return out;
  }

  private int(prefix: number): number {
    const mask = 2 ** prefix - 1;
    let v = this.buf[this.pos++] & mask;
    if (v < mask) return v;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.buf.length || shift > 28) throw new HpackError('hpack: bad integer');
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  }

  private string(): string {
    if (this.pos >= this.buf.length) throw new HpackError('hpack: truncated string');
    const huff = (this.buf[this.pos] & 0x80) !== 0;
    const len = this.int(7);
    const end = this.pos + len;
    if (end > this.buf.length) throw new HpackError('hpack: truncated string');
    const s = huff ? huffmanDecode(this.buf, this.pos, end) : this.buf.toString('latin1', this.pos, end);
    this.pos = end;
    return s;
  }

  private literal(prefix: number): readonly [string, string] {
    const index = this.int(prefix);
    const name = index === 0 ? this.string() : this.entry(index)[0];
    return [name, this.string()];
  }

  private entry(index: number): readonly [string, string] {
    if (index >= 1 && index <= STATIC.length) return STATIC[index - 1];
    const d = this.dynamic[index - STATIC.length - 1];
    if (!d) throw new HpackError(`hpack: no table entry ${index}`);
    return d.field;
  }

  private add(field: readonly [string, string]): void {
    const size = field[0].length + field[1].length + 32;
    this.evict(size);
    // An entry larger than the table empties it and is not added (RFC 7541 4.4).
    if (size > this.maxSize) return;
    this.dynamic.unshift({ field, size });
    this.size += size;
  }

  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.maxSize) this.size -= this.dynamic.pop()!.size;
  }
}

function pushInt(out: number[], first: number, prefix: number, v: number): void {
  const mask = 2 ** prefix - 1;
  if (v < mask) {
    out.push(first | v);
    return;
  }
  out.push(first | mask);
  v -= mask;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function pushString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  pushInt(out, 0, 7, bytes.length);
  for (const b of bytes) out.push(b);
}

/** Request headers as a header block: indexed when the static table has the field, else literal without indexing. */
export function encodeHeaders(fields: HeaderList): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const exact = STATIC.findIndex(([n, v]) => n === name && v === value);
    if (exact >= 0) {
      pushInt(out, 0x80, 7, exact + 1);
      continue;
    }
    const named = STATIC.findIndex(([n]) => n === name);
    pushInt(out, 0, 4, named + 1);
    if (named < 0) pushString(out, name);
    pushString(out, value);
  }
  return Buffer.from(out);
}
