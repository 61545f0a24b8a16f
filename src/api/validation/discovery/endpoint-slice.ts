/** discovery.k8s.io/v1 EndpointSlice validation (pkg/apis/discovery/validation). */
import { parseIPSloppy } from '../../../util/ip-sloppy.ts';
import { duplicate, invalid, notSupported, path, required, tooMany, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateImmutable, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortNum } from '../names.ts';
import { SUPPORTED_PORT_PROTOCOLS } from '../core/container.ts';
import { nonSpecialIP } from '../core/endpoints.ts';

type Obj = Record<string, any>;

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

function validateAddress(addressType: string, address: unknown, p: Path): FieldError[] {
  const a = typeof address === 'string' ? address : '';
  // As Endpoints, a slice may not point the proxy at loopback, link-local or unspecified addresses.
  // Addresses are legacy IP fields: read as ParseIPSloppy does (leading zeros, IPv4-mapped is IPv4).
  const family = parseIPSloppy(a)?.family;
  if (addressType === 'IPv4') return family === 4 ? nonSpecialIP(a, p) : [invalid(p, a, 'must be a valid IPv4 address')];
  if (addressType === 'IPv6') return family === 6 ? nonSpecialIP(a, p) : [invalid(p, a, 'must be a valid IPv6 address')];
  if (addressType === 'FQDN') return isDNS1123Subdomain(a).map((m) => invalid(p, a, m));
  return [];
}

function validateEndpoints(slice: Obj, p: Path): FieldError[] {
  const eps = Array.isArray(slice.endpoints) ? slice.endpoints : [];
  if (eps.length > MAX_ENDPOINTS) return [tooMany(p, eps.length, MAX_ENDPOINTS)];
  const errs: FieldError[] = [];
  eps.forEach((ep: Obj, i: number) => {
    const ip = p.index(i);
    const ap = ip.child('addresses');
    const addrs = Array.isArray(ep?.addresses) ? ep.addresses : [];
    if (addrs.length === 0) errs.push(required(ap, 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(ap, addrs.length, MAX_ADDRESSES));
    addrs.forEach((a: unknown, j: number) => errs.push(...validateAddress(String(slice.addressType ?? ''), a, ap.index(j))));
    if (typeof ep?.nodeName === 'string') for (const m of isDNS1123Subdomain(ep.nodeName)) errs.push(invalid(ip.child('nodeName'), ep.nodeName, m));
    if (typeof ep?.hostname === 'string') for (const m of isDNS1123Label(ep.hostname)) errs.push(invalid(ip.child('hostname'), ep.hostname, m));
    errs.push(...validateLabels(ep?.deprecatedTopology, ip.child('deprecatedTopology')));
  });
  return errs;
}

function validatePorts(ports: unknown, p: Path): FieldError[] {
  const ps = Array.isArray(ports) ? ports : [];
  if (ps.length > MAX_PORTS) return [tooMany(p, ps.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ps.forEach((port: Obj, i: number) => {
    const ip = p.index(i);
    const name = typeof port?.name === 'string' ? port.name : '';
    if (name !== '') for (const m of isDNS1123Label(name)) errs.push(invalid(ip.child('name'), name, m));
    if (names.has(name)) errs.push(duplicate(ip.child('name'), name));
    names.add(name);
    if (port?.protocol === undefined || port?.protocol === null) errs.push(required(ip.child('protocol')));
    else if (!SUPPORTED_PORT_PROTOCOLS.includes(port.protocol)) errs.push(notSupported(ip.child('protocol'), port.protocol, SUPPORTED_PORT_PROTOCOLS));
    if (typeof port?.port === 'number') for (const m of isValidPortNum(port.port)) errs.push(invalid(ip.child('port'), port.port, m));
    if (typeof port?.appProtocol === 'string') for (const m of isQualifiedAppProtocol(port.appProtocol)) errs.push(invalid(ip.child('appProtocol'), port.appProtocol, m));
  });
  return errs;
}

/** appProtocol must be a qualified name (ValidateQualifiedName upstream). */
function isQualifiedAppProtocol(v: string): string[] {
  return v.includes('/') ? isDNS1123Subdomain(v.slice(0, v.indexOf('/'))).map((m) => `prefix part ${m}`) : [];
}

export function validateEndpointSlice(slice: Obj): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const t = slice.addressType;
  if (t === undefined || t === null || t === '') errs.push(required(path('addressType')));
  else if (!ADDRESS_TYPES.includes(t)) errs.push(notSupported(path('addressType'), t, ADDRESS_TYPES));
  errs.push(...validateEndpoints(slice, path('endpoints')));
  errs.push(...validatePorts(slice.ports, path('ports')));
  return errs;
}

export function validateEndpointSliceUpdate(slice: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(slice.metadata, old.metadata);
  errs.push(...validateEndpointSlice(slice).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateImmutable(slice.addressType, old.addressType, path('addressType')));
  return errs;
}
