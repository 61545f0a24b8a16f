/**
 * Notation's trusted identities: `x509.subject: C=US, ST=WA, O=acme, CN=builder` (RFC 4514
 * strings as notation-go reads them with go-ldap's ParseDN). A signing certificate matches when
 * every attribute the identity lists is in its subject with the same value (the subject may
 * have more); an identity must list C, ST and O, and no attribute twice. Two identities overlap
 * when one's attributes are a subset of the other's (a certificate could match both), which the
 * specification makes the policy invalid for.
 */
export const X509_SUBJECT_PREFIX = 'x509.subject:';

/** Attribute type (upper case) to value. */
export type DistinguishedName = ReadonlyMap<string, string>;

const MANDATORY = ['C', 'ST', 'O'];

/** Parses `C=US, ST=WA, O=acme` (escapes `\,` `\;` `\+` `\\` `\"` `\ ` and `\XX` hex). */
export function parseDistinguishedName(text: string): DistinguishedName {
  const dn = new Map<string, string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text[i] === ' ') i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${JSON.stringify(text)}: expected TYPE=VALUE at offset ${i}`);
    const type = text.slice(i, eq).trim().toUpperCase();
    if (!/^([A-Z][A-Z0-9-]*|[0-9]+(\.[0-9]+)*)$/.test(type)) throw new Error(`${JSON.stringify(text)}: invalid attribute type ${JSON.stringify(type)}`);
    i = eq + 1;
    let value = '';
    let trailingSpaces = 0; // unescaped spaces at the end, trimmed
    while (i < n && !',;+'.includes(text[i]!)) {
      const ch = text[i]!;
      if (ch === '\\') {
        const next = text[i + 1];
        if (next === undefined) throw new Error(`${JSON.stringify(text)}: a trailing backslash`);
        if (/^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
          value += String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16));
          i += 3;
        } else {
          value += next;
          i += 2;
        }
        trailingSpaces = 0;
        continue;
      }
      if (ch === ' ' && value === '') {
        i++;
        continue;
      }
      value += ch;
      trailingSpaces = ch === ' ' ? trailingSpaces + 1 : 0;
      i++;
    }
    value = value.slice(0, value.length - trailingSpaces);
    if (value === '') throw new Error(`${JSON.stringify(text)}: attribute ${type} has an empty value`);
    if (dn.has(type)) throw new Error(`distinguished name (DN) ${JSON.stringify(text)} has duplicate RDN attribute for ${JSON.stringify(type)}, DN can only have unique RDN attributes`);
    dn.set(type, value);
    if (i < n) i++; // the separator
  }
  if (dn.size === 0) throw new Error('an empty distinguished name');
  return dn;
}

/** A trusted identity's DN, with notation's requirement of C, ST and O. */
export function parseTrustedIdentity(identity: string): DistinguishedName {
  if (!identity.startsWith(X509_SUBJECT_PREFIX)) throw new Error(`trusted identity ${JSON.stringify(identity)} must be "*" or start with "${X509_SUBJECT_PREFIX}"`);
  const dn = parseDistinguishedName(identity.slice(X509_SUBJECT_PREFIX.length));
  const missing = MANDATORY.filter((t) => !dn.has(t));
  if (missing.length > 0) throw new Error(`trusted identity ${JSON.stringify(identity)}: the distinguished name must contain C, ST and O (missing ${missing.join(', ')})`);
  return dn;
}

/** Every attribute of `subset` is in `dn` with the same value. */
export function isSubsetDN(subset: DistinguishedName, dn: DistinguishedName): boolean {
  for (const [k, v] of subset) if (dn.get(k) !== v) return false;
  return true;
}

export const overlaps = (a: DistinguishedName, b: DistinguishedName): boolean => isSubsetDN(a, b) || isSubsetDN(b, a);

/** A certificate subject (attributes from the DER) as a DN; a repeated attribute makes it unusable. */
export function subjectDN(attrs: readonly { type: string; value: string }[]): DistinguishedName {
  const dn = new Map<string, string>();
  for (const a of attrs) {
    if (dn.has(a.type)) throw new Error(`the signing certificate's subject has attribute ${a.type} more than once`);
    dn.set(a.type, a.value);
  }
  return dn;
}

export const formatDN = (dn: DistinguishedName): string => [...dn].map(([k, v]) => `${k}=${v.replace(/([,;+\\"])/g, '\\$1')}`).join(', ');
