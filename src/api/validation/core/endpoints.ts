/** Endpoints validation after validateEndpointSubsets upstream. */
import type { EndpointAddress, Endpoints } from 'kubernetes-types/core/v1.js';
import { invalid, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../meta.ts';
import { ipToBigInt, isDNS1123Subdomain, isValidIP, isValidPortNum } from '../names.ts';
import { parseIPSloppy } from '../../../util/ip-sloppy.ts';
import { validateDNS1123Label, validateProtocol } from './container.ts';

/** Endpoints must not point the proxy at special addresses (loopback, link-local, ...): upstream's ValidateEndpointIP. */
export function nonSpecialIP(ip: string, p: Path): FieldError[] {
  // As upstream, the address as ParseIPSloppy reads it ("127.000.000.001", "::ffff:127.0.0.1" are loopback).
  const v = parseIPSloppy(ip);
  if (!v) return [];
  const in4 = (base: string, bits: number): boolean => {
    const b = ipToBigInt(base)?.value ?? 0n;
    return v.family === 4 && v.value >> BigInt(32 - bits) === b >> BigInt(32 - bits);
  };
  const in6 = (base: string, bits: number): boolean => {
    const b = ipToBigInt(base)?.value ?? 0n;
    return v.family === 6 && v.value >> BigInt(128 - bits) === b >> BigInt(128 - bits);
  };
  if (v.value === 0n) return [invalid(p, ip, 'may not be unspecified (0.0.0.0, ::)')];
  if (in4('127.0.0.0', 8) || (v.family === 6 && v.value === 1n)) return [invalid(p, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if (in4('169.254.0.0', 16) || in6('fe80::', 10)) return [invalid(p, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  if (in4('224.0.0.0', 24) || in6('ff02::', 10)) return [invalid(p, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  return [];
}

function validateAddress(a: EndpointAddress, p: Path): FieldError[] {
  const ipErrs = isValidIP(a.ip).map((m) => invalid(p.child('ip'), a.ip, m));
  const errs = ipErrs.length ? ipErrs : nonSpecialIP(a.ip, p.child('ip'));
  if (a.hostname) errs.push(...validateDNS1123Label(a.hostname, p.child('hostname')));
  if (a.nodeName) for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(invalid(p.child('nodeName'), a.nodeName, m));
  return errs;
}

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  (ep.subsets ?? []).forEach((ss, i) => {
    const ip = path('subsets').index(i);
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length) {
      errs.push(required(ip, 'must specify `addresses` or `notReadyAddresses`'));
    }
    (ss.addresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, ip.child('addresses').index(j))));
    (ss.notReadyAddresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, ip.child('notReadyAddresses').index(j))));
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => {
      const pp = ip.child('ports').index(j);
      if (ports.length > 1 && !port.name) errs.push(required(pp.child('name')));
      else if (port.name) errs.push(...validateDNS1123Label(port.name, pp.child('name')));
      for (const m of isValidPortNum(port.port)) errs.push(invalid(pp.child('port'), port.port, m));
      errs.push(...validateProtocol(port.protocol, pp.child('protocol')));
    });
  });
  return errs;
}
