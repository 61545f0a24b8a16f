/** networking.k8s.io/v1 ServiceCIDR and IPAddress validation (pkg/apis/networking/validation). */
import { isIP } from 'node:net';
import { GoValue, invalid, path, required, type FieldError } from '../field-errors.ts';
import { semanticEqual } from '../equality.ts';
import { nameIsDNSSubdomain, validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Subdomain, isValidCIDR, parseCidr } from '../names.ts';

type Obj = Record<string, any>;

const specValue = (spec: Obj | undefined): GoValue => new GoValue(`networking.ServiceCIDRSpec{CIDRs:[]string{${(spec?.cidrs ?? []).map((c: string) => JSON.stringify(c)).join(', ')}}}`);

export function validateServiceCIDR(sc: Obj): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const p = path('spec', 'cidrs');
  const cidrs: unknown[] = Array.isArray(sc.spec?.cidrs) ? sc.spec.cidrs : [];
  if (cidrs.length === 0) return [...errs, required(p, 'at least one CIDR required')];
  if (cidrs.length > 2) return [...errs, invalid(p, specValue(sc.spec), 'may only hold up to 2 values')];
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(String(c))) errs.push(invalid(p.index(i), c, m));
  });
  if (cidrs.length === 2) {
    const [a, b] = cidrs.map((c) => parseCidr(String(c)));
    if (a && b && a.family === b.family) {
      errs.push(invalid(p, specValue(sc.spec), 'may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64'));
    }
  }
  return errs;
}

/** The CIDRs may only grow from one family to both (upgrading to dual stack). */
export function validateServiceCIDRUpdate(sc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(sc.metadata, old.metadata);
  errs.push(...validateServiceCIDR(sc).filter((e) => !e.field.startsWith('metadata.')));
  const now: unknown[] = sc.spec?.cidrs ?? [];
  const before: unknown[] = old.spec?.cidrs ?? [];
  const upgrade = before.length === 1 && now.length === 2 && now[0] === before[0];
  if (!upgrade && !semanticEqual(now, before)) errs.push(invalid(path('spec', 'cidrs'), specValue(sc.spec), 'field is immutable'));
  return errs;
}

/** Go's netip.Addr.String() of a parsed address, or undefined when it does not parse. */
function canonicalIP(s: string): string | undefined {
  const fam = isIP(s);
  if (fam === 4) return s;
  if (fam === 6) return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  return undefined;
}

/** ValidateIPAddressName: the name is the address in its canonical form. */
function ipAddressName(name: string): string[] {
  const c = canonicalIP(name);
  if (c === undefined) return [`ParseAddr(${JSON.stringify(name)}): unable to parse IP`];
  return c === name ? [] : ['must be a canonical format IP address'];
}

export function validateIPAddress(ip: Obj): FieldError[] {
  const errs = validateObjectMeta(ip.metadata, { namespaced: false, nameFn: (n) => ipAddressName(n) });
  const p = path('spec', 'parentRef');
  const ref = ip.spec?.parentRef;
  if (!ref) return [...errs, required(p)];
  if (typeof ref.group === 'string' && ref.group !== '') for (const m of isDNS1123Subdomain(ref.group)) errs.push(invalid(p.child('group'), ref.group, m));
  if (!ref.resource) errs.push(required(p.child('resource')));
  else for (const m of isDNS1123Subdomain(ref.resource)) errs.push(invalid(p.child('resource'), ref.resource, m));
  if (!ref.name) errs.push(required(p.child('name')));
  else for (const m of isDNS1123Subdomain(ref.name)) errs.push(invalid(p.child('name'), ref.name, m));
  if (typeof ref.namespace === 'string' && ref.namespace !== '') for (const m of isDNS1123Subdomain(ref.namespace)) errs.push(invalid(p.child('namespace'), ref.namespace, m));
  return errs;
}

export function validateIPAddressUpdate(ip: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ip.metadata, old.metadata);
  errs.push(...validateIPAddress(ip).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateImmutable(ip.spec?.parentRef ?? null, old.spec?.parentRef ?? null, path('spec', 'parentRef')));
  return errs;
}
