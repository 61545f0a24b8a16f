/**
 * Upstream's netutils.ParseIPSloppy (k8s.io/utils/net, Go 1.16's net.ParseIP): the parser behind
 * every "legacy" IP field (IsValidIPForLegacyField with StrictIPCIDRValidation off, as in 1.33),
 * and behind kube-proxy, the Service IP allocator and the endpoints code that read them. Beyond
 * node:net's isIP it accepts IPv4 octets with leading zeros, read as DECIMAL ("010.0.0.1" is
 * 10.0.0.1, where inet_aton and most libc code would read octal 8.0.0.1), and longer hex groups
 * with leading zeros in IPv6; it refuses zones ("fe80::1%eth0"), which isIP accepts.
 *
 * Anything that acts on such a value (allocates it, programs it into nftables, answers it in DNS)
 * must use `canonical` from here, never the stored text: Go's net.IP.String(), where an
 * IPv4-mapped IPv6 address ("::ffff:1.2.3.4") is IPv4, as To4() makes it everywhere upstream.
 */

export interface SloppyIP {
  /** 4 for IPv4 and IPv4-mapped IPv6 addresses (Go's To4() != nil), else 6. */
  family: 4 | 6;
  /** The address as a number: 32 bits for family 4, 128 for family 6. */
  value: bigint;
  /** Go's net.IP.String(). */
  canonical: string;
}

/** Decimal octet with any leading zeros, as Go's dtoi (which gives up at 0xFFFFFF). */
function octet(s: string): number | undefined {
  if (s.length === 0 || !/^[0-9]+$/.test(s)) return undefined;
  const t = s.replace(/^0+(?=.)/, '');
  if (t.length > 3) return undefined;
  const n = Number(t);
  return n <= 255 ? n : undefined;
}

function parseV4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    const n = octet(p);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}

/** Hex group with any leading zeros, at most 0xFFFF (Go's xtoi). */
function group(s: string): number | undefined {
  if (s.length === 0 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  const t = s.replace(/^0+(?=.)/, '');
  if (t.length > 4) return undefined;
  return parseInt(t, 16);
}

/** The 16 bytes of an IPv6 text, as Go 1.16's parseIPv6 (embedded IPv4 tail allowed, no zone). */
function parseV6(s: string): number[] | undefined {
  const bytes: number[] = [];
  let ellipsis = -1;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return new Array(16).fill(0);
  }
  while (bytes.length < 16) {
    const m = /^[0-9a-fA-F]*/.exec(rest)![0];
    // An IPv4 tail takes the last four bytes.
    if (rest[m.length] === '.' || (m === '' && rest.includes('.'))) {
      if (ellipsis < 0 && bytes.length !== 12) return undefined;
      if (bytes.length + 4 > 16) return undefined;
      const v4 = parseV4(rest);
      if (!v4) return undefined;
      bytes.push(...v4);
      rest = '';
      break;
    }
    const g = group(m);
    if (g === undefined) return undefined;
    bytes.push(g >> 8, g & 0xff);
    rest = rest.slice(m.length);
    if (rest === '') break;
    if (rest[0] !== ':' || rest.length === 1) return undefined;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = bytes.length;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return undefined;
  if (bytes.length < 16) {
    if (ellipsis < 0) return undefined;
    const fill = new Array(16 - bytes.length).fill(0);
    bytes.splice(ellipsis, 0, ...fill);
  } else if (ellipsis >= 0) {
    // An ellipsis must stand for at least one group.
    return undefined;
  }
  return bytes;
}

function v4Canonical(b: readonly number[]): string {
  return b.join('.');
}

/** Go's IPv6 String(): lower-case groups, the longest run of two or more zero groups (the first such) as '::'. */
function v6Canonical(b: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let e0 = -1;
  let e1 = -1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i >= 2 && j - i > e1 - e0) {
      e0 = i;
      e1 = j;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === e0) {
      out += '::';
      i = e1 - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += groups[i]!.toString(16);
  }
  return out === '' ? '::' : out;
}

/** ParseIPSloppy: the address, or undefined where Go returns nil. */
export function parseIPSloppy(s: string): SloppyIP | undefined {
  if (typeof s !== 'string') return undefined;
  // Go decides by the first '.' or ':'.
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '.') {
      const b = parseV4(s);
      return b ? { family: 4, value: BigInt(((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!), canonical: v4Canonical(b) } : undefined;
    }
    if (c === ':') {
      const b = parseV6(s);
      if (!b) return undefined;
      const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
      if (mapped) {
        const v4 = b.slice(12);
        return { family: 4, value: BigInt(((v4[0]! << 24) >>> 0) + (v4[1]! << 16) + (v4[2]! << 8) + v4[3]!), canonical: v4Canonical(v4) };
      }
      return { family: 6, value: b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n), canonical: v6Canonical(b) };
    }
  }
  return undefined;
}

/** The IPv4 addresses of a list, canonical; IPv6, unparsable and non-string entries are left out. */
export function canonicalIPv4s(list: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const ip of list) {
    const p = typeof ip === 'string' ? parseIPSloppy(ip) : undefined;
    if (p?.family === 4) out.push(p.canonical);
  }
  return out;
}

/** Go's ParseIPSloppy(s).String(), or undefined when it does not parse. */
export function canonicalIP(s: string): string | undefined {
  return parseIPSloppy(s)?.canonical;
}

/** netutils.ParseCIDRSloppy's result as its consumers read it (Go's *IPNet after To4). */
export interface SloppyCIDR {
  /** 4 when the network is IPv4 (IPNet.IP.To4() != nil): a dotted quad, or an IPv4-mapped IPv6 network of /96 or longer. */
  family: 4 | 6;
  /** The network address, host bits cleared: 32 bits for family 4, 128 for 6. */
  network: bigint;
  /** The prefix length in that family (an IPv4-mapped "::ffff:10.0.0.0/104" is 10.0.0.0/8). */
  bits: number;
  /** The prefix length as written: Go's Mask.Size() (104 in that example). */
  maskBits: number;
  /** IPNet.String(): the canonical network ("010.1.2.3/8" is "10.0.0.0/8"). */
  canonical: string;
}

const V4_PREFIX = 0xffffn << 32n;

/**
 * ParseCIDRSloppy (k8s.io/utils/net, Go 1.16's net.ParseCIDR): the address part as ParseIPSloppy
 * reads it (IPv4 octets with leading zeros as decimal, no zone), a decimal prefix length with any
 * leading zeros, host bits allowed (cleared in the network). Undefined where Go returns an error.
 */
export function parseCIDRSloppy(s: string): SloppyCIDR | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  const v4 = parseV4(addr);
  const bytes = v4 ?? parseV6(addr);
  if (!bytes) return undefined;
  const width = v4 ? 32 : 128;
  // Go's dtoi: decimal digits only, giving up at 0xFFFFFF.
  if (!/^[0-9]+$/.test(mask)) return undefined;
  let n = 0;
  for (const ch of mask) {
    n = n * 10 + (ch.charCodeAt(0) - 48);
    if (n >= 0xffffff) return undefined;
  }
  if (n > width) return undefined;
  const value = bytes.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  const all = (1n << BigInt(width)) - 1n;
  const network = value & (all ^ ((1n << BigInt(width - n)) - 1n));
  const quad = (x: bigint) => v4Canonical([Number((x >> 24n) & 255n), Number((x >> 16n) & 255n), Number((x >> 8n) & 255n), Number(x & 255n)]);
  if (width === 32) return { family: 4, network, bits: n, maskBits: n, canonical: `${quad(network)}/${n}` };
  if (network >> 32n === V4_PREFIX >> 32n) {
    const net4 = network & 0xffffffffn;
    return { family: 4, network: net4, bits: n - 96, maskBits: n, canonical: `${quad(net4)}/${n - 96}` };
  }
  const nb: number[] = [];
  for (let i = 15; i >= 0; i--) nb.push(Number((network >> BigInt(i * 8)) & 255n));
  return { family: 6, network, bits: n, maskBits: n, canonical: `${v6Canonical(nb)}/${n}` };
}

/** Whether Go's IPNet.Contains(inner's network address) holds for these two parsed CIDRs. */
export function sloppyCIDRContains(outer: SloppyCIDR, inner: SloppyCIDR): boolean {
  if (outer.family !== inner.family) return false;
  const width = outer.family === 4 ? 32 : 128;
  const mask = ((1n << BigInt(outer.bits)) - 1n) << BigInt(width - outer.bits);
  return (inner.network & mask) === outer.network;
}

/** ParseCIDRSloppy(s)'s IPNet.String(), or undefined when it does not parse. */
export function canonicalCIDR(s: string): string | undefined {
  return parseCIDRSloppy(s)?.canonical;
}
