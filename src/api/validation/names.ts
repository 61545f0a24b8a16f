/**
 * String format checks from k8s.io/apimachinery/pkg/util/validation (IsDNS1123Label, IsQualifiedName,
 * ...). Each returns the list of upstream messages; empty means valid.
 */
import { isIP } from 'node:net';
import { parseCIDRSloppy, parseIPSloppy } from '../../util/ip-sloppy.ts';

export function maxLenError(n: number): string {
  return `must be no more than ${n} characters`;
}

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Upstream's helper really does put ", " after every example and " or " between them.
  const ex = examples.map((e) => `'${e}', `).join(' or ');
  return `${msg} (e.g. ${ex}regex used for validation is '${fmt}')`;
}

export const EMPTY_ERROR = 'must be non-empty';

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

// Compiled once per format (the formats are this file's constants): building a RegExp on every
// call showed in the create path's profile, once per name, label and annotation key.
const anchored = new Map<string, RegExp>();
function full(fmt: string): RegExp {
  let re = anchored.get(fmt);
  if (!re) {
    re = new RegExp(`^${fmt}$`);
    anchored.set(fmt, re);
  }
  return re;
}

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX = 63;

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (name.length > QUALIFIED_NAME_MAX) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX)}`);
  if (!full(QUALIFIED_NAME_FMT).test(name)) {
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!full(LABEL_VALUE_FMT).test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!full(DNS1123_LABEL_FMT).test(value)) errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  return errs;
}

const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!full(DNS1123_SUBDOMAIN_FMT).test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

const DNS1123_SUBDOMAIN_UNDERSCORE_RE = /^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_UNDERSCORE_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character";

/** IsDNS1123SubdomainWithUnderscore (1.33): its message names the regex without the underscore, as upstream's does. */
export function isDNS1123SubdomainWithUnderscore(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_UNDERSCORE_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_UNDERSCORE_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!full(DNS1035_LABEL_FMT).test(value)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

const WILDCARD_SUBDOMAIN_FMT = `\\*\\.${DNS1123_SUBDOMAIN_FMT}`;
const WILDCARD_SUBDOMAIN_MSG =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";

export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!full(WILDCARD_SUBDOMAIN_FMT).test(value)) errs.push(regexError(WILDCARD_SUBDOMAIN_MSG, WILDCARD_SUBDOMAIN_FMT, '*.example.com'));
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!full(CONFIG_KEY_FMT).test(value)) errs.push(regexError(CONFIG_KEY_MSG, CONFIG_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** Relaxed env var names (RelaxedEnvironmentVariableValidation, on by default since 1.32). */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push('environment variable name must not be empty');
  if (!/^[ -<>-~]*$/.test(value)) {
    errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
  }
  return errs;
}

const PERCENT_FMT = '[0-9]+%';
export function isValidPercent(value: string): string[] {
  if (!full(PERCENT_FMT).test(value)) {
    return [regexError("a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, '1%', '93%')];
  }
  return [];
}

export const IP_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export const CIDR_ERROR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/**
 * IsValidIPForLegacyField with StrictIPCIDRValidation off (alpha in 1.33): what ParseIPSloppy
 * reads, so IPv4 octets with leading zeros (decimal) and IPv4-mapped IPv6 addresses pass; zones
 * do not. Every IP field validated here is a legacy one upstream; whatever acts on the value must
 * use its canonical form (util/ip-sloppy.ts).
 */
export function isValidIP(value: string): string[] {
  return parseIPSloppy(value) ? [] : [IP_ERROR];
}

export interface Cidr {
  family: 4 | 6;
  addr: bigint;
  bits: number;
}

export function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const fam = isIP(ip);
  if (fam === 4) {
    return { family: 4, value: ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  }
  if (fam === 6) {
    let text = ip;
    let tail: bigint[] = [];
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4 && v4[1]) {
      const n = ipToBigInt(v4[1])?.value ?? 0n;
      tail = [(n >> 16n) & 0xffffn, n & 0xffffn];
      text = text.slice(0, text.length - v4[1].length) + '0:0';
    }
    const [head = '', rest] = text.split('::');
    const h = head === '' ? [] : head.split(':');
    const r = rest === undefined ? [] : rest === '' ? [] : rest.split(':');
    const fill = rest === undefined ? 0 : 8 - h.length - r.length;
    const groups = [...h, ...Array<string>(fill).fill('0'), ...r].map((g) => BigInt(parseInt(g, 16)));
    if (tail.length) groups.splice(6, 2, ...tail);
    return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | g, 0n) };
  }
  return undefined;
}

export function parseCidr(value: string): Cidr | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const ip = ipToBigInt(value.slice(0, slash));
  const bitsText = value.slice(slash + 1);
  if (!ip || !/^\d+$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  const width = ip.family === 4 ? 32 : 128;
  if (bits > width) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { family: ip.family, addr: ip.value & mask, bits };
}

export function isValidCIDR(value: string): string[] {
  return parseCidr(value) ? [] : [CIDR_ERROR];
}

/**
 * IsValidCIDRForLegacyField with StrictIPCIDRValidation off (alpha in 1.33): what ParseCIDRSloppy
 * reads (IPv4 octets and prefix lengths with leading zeros, IPv4-mapped IPv6, host bits set). The
 * legacy CIDR fields: node spec.podCIDRs, NetworkPolicy ipBlock cidr/except, Service
 * spec.loadBalancerSourceRanges (and its annotation). Consumers read canonicalCIDR's form.
 */
export function isValidCIDRForLegacyField(value: string): string[] {
  return parseCIDRSloppy(value) ? [] : [CIDR_ERROR];
}
