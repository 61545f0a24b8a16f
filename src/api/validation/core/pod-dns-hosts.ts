/**
 * The DNS and address parts of ValidatePodSpec (pkg/apis/core/validation, 1.33): validatePodDNSConfig
 * (nameservers at most MaxDNSNameservers, each a legacy IP field; searches; options) and ValidateHostAliases (each
 * ip a legacy IP field, each hostname a DNS-1123 subdomain). Both end up in files the node agent
 * writes into the container (resolv.conf, /etc/hosts), one entry a line.
 */
import type { HostAlias, PodDNSConfig } from 'kubernetes-types/core/v1.js';
import { invalid, required, type FieldError, type Path } from '../field-errors.ts';
import { isDNS1123Subdomain, isDNS1123SubdomainWithUnderscore, isValidIP } from '../names.ts';

const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCH_PATHS = 32;
const MAX_DNS_SEARCH_LIST_CHARS = 2048;

/**
 * validatePodDNSConfig's checks of a set dnsConfig: nameservers, searches (at most 32, 2048 bytes
 * joined by spaces; each a DNS-1123 subdomain with underscores allowed and a trailing dot
 * trimmed, or a single dot: RelaxedDNSSearchValidation, beta and on in 1.33), option names.
 */
export function validateDNSConfigEntries(dnsConfig: PodDNSConfig | undefined, p: Path): FieldError[] {
  if (!dnsConfig) return [];
  const errs: FieldError[] = [];
  const nameservers = dnsConfig.nameservers;
  if (Array.isArray(nameservers)) {
    const np = p.child('nameservers');
    if (nameservers.length > MAX_DNS_NAMESERVERS) errs.push(invalid(np, nameservers, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
    nameservers.forEach((ns, i) => {
      for (const m of isValidIP(String(ns ?? ''))) errs.push(invalid(np.index(i), ns, m));
    });
  }
  const searches = Array.isArray(dnsConfig.searches) ? dnsConfig.searches.map((s) => String(s ?? '')) : [];
  const sp = p.child('searches');
  if (searches.length > MAX_DNS_SEARCH_PATHS) errs.push(invalid(sp, searches, `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`));
  // Go's len: bytes, the spaces between paths included.
  if (Buffer.byteLength(searches.join(' ')) > MAX_DNS_SEARCH_LIST_CHARS) {
    errs.push(invalid(sp, searches, `must not have more than ${MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list`));
  }
  searches.forEach((search, i) => {
    if (search === '.') return;
    const trimmed = search.endsWith('.') ? search.slice(0, -1) : search;
    for (const m of isDNS1123SubdomainWithUnderscore(trimmed)) errs.push(invalid(sp.index(i), trimmed, m));
  });
  (dnsConfig.options ?? []).forEach((o, i) => {
    if (!o?.name) errs.push(required(p.child('options').index(i), 'must not be empty'));
  });
  return errs;
}

/** ValidateHostAliases. */
export function validateHostAliases(aliases: readonly HostAlias[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  (aliases ?? []).forEach((a, i) => {
    const ip = String(a?.ip ?? '');
    for (const m of isValidIP(ip)) errs.push(invalid(p.index(i).child('ip'), ip, m));
    (a?.hostnames ?? []).forEach((h, j) => {
      for (const m of isDNS1123Subdomain(String(h))) errs.push(invalid(p.index(i).child('hostnames').index(j), h, m));
    });
  });
  return errs;
}
