/**
 * The address parts of ValidatePodSpec (pkg/apis/core/validation, 1.33): validatePodDNSConfig's
 * nameservers (at most MaxDNSNameservers, each a legacy IP field) and ValidateHostAliases (each
 * ip a legacy IP field, each hostname a DNS-1123 subdomain). Both end up in files the node agent
 * writes into the container (resolv.conf, /etc/hosts), one entry a line.
 */
import type { HostAlias, PodDNSConfig } from 'kubernetes-types/core/v1.js';
import { invalid, type FieldError, type Path } from '../field-errors.ts';
import { isDNS1123Subdomain, isValidIP } from '../names.ts';

const MAX_DNS_NAMESERVERS = 3;

/** validatePodDNSConfig's nameserver checks, when dnsConfig is set. */
export function validateDNSNameservers(dnsConfig: PodDNSConfig | undefined, p: Path): FieldError[] {
  const nameservers = dnsConfig?.nameservers;
  if (!Array.isArray(nameservers)) return [];
  const errs: FieldError[] = [];
  const np = p.child('nameservers');
  if (nameservers.length > MAX_DNS_NAMESERVERS) errs.push(invalid(np, nameservers, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
  nameservers.forEach((ns, i) => {
    for (const m of isValidIP(String(ns ?? ''))) errs.push(invalid(np.index(i), ns, m));
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
