/**
 * A minimal DER writer: what the node agent's certificate requests need (node-certificates.ts),
 * without node-forge, whose 42 modules cost the long-lived agent process ~2.2 MiB of heap for a
 * few requests in its life (issue 13: the agent with 100 pods in 100 MiB). Definite lengths in
 * their shortest form, as DER requires; every value is bytes the caller has made valid.
 */

/** One TLV: the identifier octet (class, constructed bit, tag below 31), length, contents. */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.from([tag, n]);
  else {
    const len: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    head = Buffer.from([tag, 0x80 | len.length, ...len]);
  }
  return Buffer.concat([head, content]);
}

export const derSequence = (items: Buffer[]) => tlv(0x30, Buffer.concat(items));
export const derSet = (items: Buffer[]) => tlv(0x31, Buffer.concat(items));
export const derUtf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
export const derOctetString = (b: Buffer) => tlv(0x04, b);
/** A BIT STRING of whole bytes (no unused bits). */
export const derBitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
/** A context-specific [n] (n < 31): constructed around DER items, or primitive around bytes. */
export const derContext = (n: number, constructed: boolean, content: Buffer) => tlv(0x80 | (constructed ? 0x20 : 0) | n, content);

/** A small non-negative INTEGER (two's complement, shortest form). */
export function derSmallInteger(v: number): Buffer {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a small non-negative integer: ${v}`);
  const bytes: number[] = [];
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

/** An OBJECT IDENTIFIER from its dotted text ('2.5.4.3'). */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0) || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) throw new RangeError(`not an OID: ${dotted}`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const b: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}

/** PEM text of DER bytes: 64 characters a line, CRLF line ends (as node-forge's pem.encode wrote the agent's requests). */
export function pemEncode(type: string, der: Buffer): string {
  const b64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += `${b64.slice(i, i + 64)}\r\n`;
  return `-----BEGIN ${type}-----\r\n${body}-----END ${type}-----\r\n`;
}
