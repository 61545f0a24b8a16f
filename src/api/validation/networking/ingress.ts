/** networking.k8s.io/v1 Ingress validation. */
import type { Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';
import { invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNS1035Label, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Subdomain, isValidIP, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain } from '../names.ts';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
// Sequences that let a path escape normalisation in some proxies.
const INVALID_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_SUFFIXES = ['/..', '/.'];

function validateBackend(b: IngressBackend, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (b.resource && b.service) return [invalid(p, '', 'cannot set both resource and service backends')];
  if (b.resource) {
    if (!b.resource.kind) errs.push(required(p.child('resource', 'kind')));
    if (!b.resource.name) errs.push(required(p.child('resource', 'name')));
    return errs;
  }
  if (!b.service) return [invalid(p, '', 'resource or service backend is required')];
  const svc = b.service;
  if (!svc.name) errs.push(required(p.child('service', 'name')));
  else for (const m of nameIsDNS1035Label(svc.name, false)) errs.push(invalid(p.child('service', 'name'), svc.name, m));
  const name = svc.port?.name ?? '';
  const num = svc.port?.number ?? 0;
  if (name && num) errs.push(invalid(p, '', 'cannot set both port name & port number'));
  else if (name) for (const m of isValidPortName(name)) errs.push(invalid(p.child('service', 'port', 'name'), name, m));
  else if (num) for (const m of isValidPortNum(num)) errs.push(invalid(p.child('service', 'port', 'number'), num, m));
  else errs.push(required(p, 'port name or number is required'));
  return errs;
}

export function validateIngress(ing: Ingress): FieldError[] {
  const errs = validateObjectMeta(ing.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = ing.spec ?? {};
  const rules = spec.rules ?? [];
  if (rules.length === 0 && !spec.defaultBackend) errs.push(invalid(sp, rules, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, sp.child('defaultBackend')));
  rules.forEach((rule, i) => {
    const rp = sp.child('rules').index(i);
    const host = rule.host ?? '';
    if (host) {
      if (isValidIP(host).length === 0) errs.push(invalid(rp.child('host'), host, 'must be a DNS name, not an IP address'));
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(rp.child('host'), host, m));
    }
    if (!rule.http) return;
    const hp = rp.child('http');
    if (!rule.http.paths?.length) errs.push(required(hp.child('paths')));
    (rule.http.paths ?? []).forEach((pth, j) => {
      const pp = hp.child('paths').index(j);
      const value = pth.path ?? '';
      if (!pth.pathType) {
        errs.push(required(pp.child('pathType'), 'pathType must be specified'));
        return;
      }
      if (pth.pathType === 'Exact' || pth.pathType === 'Prefix') {
        if (!value.startsWith('/')) errs.push(invalid(pp.child('path'), value, 'must be an absolute path'));
        if (value) {
          for (const seq of INVALID_SEQUENCES) if (value.includes(seq)) errs.push(invalid(pp.child('path'), value, `must not contain '${seq}'`));
          for (const suf of INVALID_SUFFIXES) if (value.endsWith(suf)) errs.push(invalid(pp.child('path'), value, `cannot end with '${suf}'`));
        }
      } else if (pth.pathType === 'ImplementationSpecific') {
        if (value && !value.startsWith('/')) errs.push(invalid(pp.child('path'), value, 'must be an absolute path'));
      } else {
        errs.push(notSupported(pp.child('pathType'), pth.pathType, PATH_TYPES));
      }
      errs.push(...validateBackend(pth.backend, pp.child('backend')));
    });
  });
  (spec.tls ?? []).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((h, j) => {
      const msgs = h.includes('*') ? isWildcardDNS1123Subdomain(h) : isDNS1123Subdomain(h);
      for (const m of msgs) errs.push(invalid(sp.child('tls').index(i).child('hosts').index(j), h, m));
    });
  });
  if (spec.ingressClassName) {
    for (const m of nameIsDNSSubdomain(spec.ingressClassName, false)) errs.push(invalid(sp.child('ingressClassName'), spec.ingressClassName, m));
  }
  return errs;
}

export function validateIngressUpdate(ing: Ingress, old: Ingress): FieldError[] {
  const errs = validateObjectMetaUpdate(ing.metadata, old.metadata);
  errs.push(...validateIngress(ing).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}
