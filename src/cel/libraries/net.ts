/**
 * Kubernetes' CEL ip and cidr libraries (apiserver/pkg/cel/library/ip.go, cidr.go), on Go's
 * netip rules: no zones, no IPv4-mapped IPv6, no leading zeros in IPv4. `ip(s)`, `isIP(s)`,
 * `ip.isCanonical(s)`, `family`, `isUnspecified`, `isLoopback`, `isLinkLocalMulticast`,
 * `isLinkLocalUnicast`, `isGlobalUnicast`; `cidr(s)`, `isCIDR(s)`, `containsIP`, `containsCIDR`,
 * `ip()`, `masked()`, `prefixLength()`; `string(...)` of both.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { isIPv4, isIPv6 } from 'node:net';

export class CelIP {
  /** The address as a number: 32 bits for IPv4, 128 for IPv6. */
  readonly value: bigint;
  readonly family: 4 | 6;
  constructor(value: bigint, family: 4 | 6) {
    this.value = value;
    this.family = family;
  }
  get bits(): number {
    return this.family === 4 ? 32 : 128;
  }
  toString(): string {
    if (this.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((this.value >> s) & 255n)).join('.');
    const groups = Array.from({ length: 8 }, (_, i) => Number((this.value >> BigInt(112 - 16 * i)) & 0xffffn));
    // The longest run (of two or more) of zero groups becomes "::", as RFC 5952 and Go print.
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) [best, bestLen] = [i, j - i];
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  }
}

export class CelCIDR {
  readonly ip: CelIP;
  readonly prefix: number;
  constructor(ip: CelIP, prefix: number) {
    this.ip = ip;
    this.prefix = prefix;
  }
  masked(): CelIP {
    const host = (1n << BigInt(this.ip.bits - this.prefix)) - 1n;
    return new CelIP(this.ip.value & ~host, this.ip.family);
  }
  contains(ip: CelIP): boolean {
    if (ip.family !== this.ip.family) return false;
    const shift = BigInt(ip.bits - this.prefix);
    return ip.value >> shift === this.ip.value >> shift;
  }
}

function parseIP(s: string): CelIP | undefined {
  if (isIPv4(s)) {
    const parts = s.split('.');
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
    return new CelIP(parts.reduce((v, p) => (v << 8n) | BigInt(p), 0n), 4);
  }
  if (!isIPv6(s) || s.includes('%') || s.includes('.')) return undefined;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return new CelIP(groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g, 16)), 0n), 6);
}

function ip(s: string): CelIP {
  const v = parseIP(s);
  if (!v) throw new Error(`IP Address "${s}" parse error during conversion from string: invalid IP address`);
  return v;
}

function parseCIDR(s: string): CelCIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (!addr || !/^(0|[1-9][0-9]*)$/.test(bits) || Number(bits) > addr.bits) return undefined;
  return new CelCIDR(addr, Number(bits));
}

function cidr(s: string): CelCIDR {
  const v = parseCIDR(s);
  if (!v) throw new Error(`network address "${s}" parse error during conversion from string: invalid CIDR`);
  return v;
}

const inRange = (x: CelIP, cidrText: string): boolean => parseCIDR(cidrText)!.contains(x);

export function registerNetLibrary(env: Environment): Environment {
  const IP = 'net.IP';
  const CIDR = 'net.CIDR';
  class IpNamespace {}
  return env
    .registerType(IP, CelIP)
    .registerType(CIDR, CelCIDR)
    .registerType('kubernetes.IpNamespace', IpNamespace)
    .registerConstant('ip', 'kubernetes.IpNamespace', new IpNamespace())
    .registerFunction(`ip(string): ${IP}`, ip)
    .registerFunction('isIP(string): bool', (s: string) => parseIP(s) !== undefined)
    .registerFunction('kubernetes.IpNamespace.isCanonical(string): bool', (_n: IpNamespace, s: string) => ip(s).toString() === s)
    .registerFunction(`string(${IP}): string`, (x: CelIP) => x.toString())
    .registerFunction(`${IP}.family(): int`, (x: CelIP) => BigInt(x.family))
    .registerFunction(`${IP}.isUnspecified(): bool`, (x: CelIP) => x.value === 0n)
    .registerFunction(`${IP}.isLoopback(): bool`, (x: CelIP) => (x.family === 4 ? inRange(x, '127.0.0.0/8') : x.value === 1n))
    .registerFunction(`${IP}.isLinkLocalMulticast(): bool`, (x: CelIP) => (x.family === 4 ? inRange(x, '224.0.0.0/24') : inRange(x, 'ff02::/16')))
    .registerFunction(`${IP}.isLinkLocalUnicast(): bool`, (x: CelIP) => (x.family === 4 ? inRange(x, '169.254.0.0/16') : inRange(x, 'fe80::/10')))
    .registerFunction(`${IP}.isGlobalUnicast(): bool`, (x: CelIP) =>
      x.family === 4
        ? x.value !== 0xffffffffn && !inRange(x, '0.0.0.0/8') && !inRange(x, '127.0.0.0/8') && !inRange(x, '169.254.0.0/16') && !inRange(x, '224.0.0.0/4')
        : x.value !== 0n && x.value !== 1n && !inRange(x, 'fe80::/10') && !inRange(x, 'ff00::/8'))
    .registerFunction(`cidr(string): ${CIDR}`, cidr)
    .registerFunction('isCIDR(string): bool', (s: string) => parseCIDR(s) !== undefined)
    .registerFunction(`string(${CIDR}): string`, (c: CelCIDR) => `${c.ip.toString()}/${c.prefix}`)
    .registerFunction(`${CIDR}.containsIP(${IP}): bool`, (c: CelCIDR, x: CelIP) => c.contains(x))
    .registerFunction(`${CIDR}.containsIP(string): bool`, (c: CelCIDR, x: string) => c.contains(ip(x)))
    .registerFunction(`${CIDR}.containsCIDR(${CIDR}): bool`, (c: CelCIDR, o: CelCIDR) => o.prefix >= c.prefix && c.contains(o.ip))
    .registerFunction(`${CIDR}.containsCIDR(string): bool`, (c: CelCIDR, s: string) => {
      const o = cidr(s);
      return o.prefix >= c.prefix && c.contains(o.ip);
    })
    .registerFunction(`${CIDR}.ip(): ${IP}`, (c: CelCIDR) => c.ip)
    .registerFunction(`${CIDR}.masked(): ${CIDR}`, (c: CelCIDR) => new CelCIDR(c.masked(), c.prefix))
    .registerFunction(`${CIDR}.prefixLength(): int`, (c: CelCIDR) => BigInt(c.prefix));
}
