/**
 * Service validation after pkg/apis/core/validation ValidateService / ValidateServiceUpdate.
 * Cluster IP allocation is the registry's job; this only checks what the user (or allocator) wrote.
 */
import { parseIPSloppy } from '../../../util/ip-sloppy.ts';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, GoValue, goQuote, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNS1035Label, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Subdomain, isValidCIDRForLegacyField, isValidIP, isValidPortNum } from '../names.ts';
import { validateDNS1123Label, validatePortNumOrName, validateProtocol } from './container.ts';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITY = ['ClientIP', 'None'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const KUBELET_PORT = 10250;

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None' || svc.spec?.clusterIPs?.[0] === 'None';
}

function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec?.externalIPs?.length ?? 0) > 0);
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(p.child('name')));
  else if (sp.name) {
    errs.push(...validateDNS1123Label(sp.name, p.child('name')));
    if (names.has(sp.name)) errs.push(duplicate(p.child('name'), sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port)) errs.push(invalid(p.child('port'), sp.port, m));
  errs.push(...validateProtocol(sp.protocol, p.child('protocol')));
  if (sp.targetPort !== undefined) errs.push(...validatePortNumOrName(sp.targetPort, p.child('targetPort')));
  if (sp.nodePort) for (const m of isValidPortNum(sp.nodePort)) errs.push(invalid(p.child('nodePort'), sp.nodePort, m));
  return errs;
}

/** %#v of core.ServicePort{Protocol, Port} as upstream prints a duplicate port key. */
function goPortKey(protocol: string, port: number): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

/** Upstream's ValidateServiceClusterIPsRelatedFields: also the loose pre-check of IP family initialisation (service-ip-families.ts). */
export function validateServiceClusterIPsRelatedFields(svc: Service): FieldError[] {
  return validateClusterIPs(svc, path('spec'));
}

function validateClusterIPs(svc: Service, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  if (spec.clusterIP && spec.clusterIPs?.length && spec.clusterIPs[0] !== spec.clusterIP) {
    errs.push(invalid(p.child('clusterIPs'), spec.clusterIPs, 'first value must match `clusterIP`'));
  }
  if (spec.type === 'ExternalName') {
    if (ips.length > 0) errs.push(forbidden(p.child('clusterIPs'), 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy) errs.push(forbidden(p.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
    if (spec.ipFamilies?.length) errs.push(forbidden(p.child('ipFamilies'), 'may not be set for ExternalName services'));
    return errs;
  }
  let hasInvalidIPs = false;
  ips.forEach((ip, i) => {
    const ip0 = p.child('clusterIPs').index(i);
    if (ip === 'None') {
      if (i > 0 || ips.length > 1) {
        hasInvalidIPs = true;
        errs.push(invalid(ip0, ip, "'None' must be the first and only value"));
      }
      return;
    }
    const messages = isValidIP(ip);
    if (messages.length > 0) hasInvalidIPs = true;
    for (const m of messages) errs.push(invalid(ip0, ip, m));
  });
  if (ips.length > 2) errs.push(invalid(p.child('clusterIPs'), ips, 'may only hold up to 2 values'));
  // Upstream's ValidateServiceClusterIPsRelatedFields: more than one address must be one of each
  // family (IsDualStackIPStrings), and each address the family ipFamilies names for it. Without
  // this a second IPv4 address was stored unchecked and every node's proxy DNATed it.
  if (!hasInvalidIPs && ips.length > 1) {
    const v6 = ips.filter((ip) => parseIPSloppy(ip)?.family === 6).length;
    if (v6 === 0 || v6 === ips.length) errs.push(invalid(p.child('clusterIPs'), ips, 'may specify no more than one IP for each IP family'));
  }
  if (!hasInvalidIPs && !isHeadless(svc) && ips.length > 0) {
    (spec.ipFamilies ?? []).slice(0, ips.length).forEach((family, i) => {
      const v6 = parseIPSloppy(ips[i]!)?.family === 6;
      if (family === 'IPv4' && v6) errs.push(invalid(p.child('clusterIPs').index(i), ips[i], `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (family === 'IPv6' && !v6) errs.push(invalid(p.child('clusterIPs').index(i), ips[i], `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  if (spec.ipFamilyPolicy && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(notSupported(p.child('ipFamilyPolicy'), spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    const fp = p.child('ipFamilies').index(i);
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(fp, f, IP_FAMILIES));
    if (seen.has(f)) errs.push(duplicate(fp, f));
    seen.add(f);
  });
  return errs;
}

const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

/**
 * ValidateService's source ranges, the field or else its legacy annotation: LoadBalancer only, each
 * (space-trimmed) a legacy CIDR field (IsValidCIDRForLegacyField). The field's path keeps upstream's
 * historical capital: spec.LoadBalancerSourceRanges.
 */
function validateSourceRanges(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const ranges = svc.spec?.loadBalancerSourceRanges ?? [];
  const lb = svc.spec?.type === 'LoadBalancer';
  if (ranges.length > 0) {
    const fp = path('spec', 'LoadBalancerSourceRanges');
    if (!lb) errs.push(forbidden(fp, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((raw, i) => {
      const value = String(raw ?? '').trim();
      for (const m of isValidCIDRForLegacyField(value)) errs.push(invalid(fp.index(i), value, m));
    });
    return errs;
  }
  const annotation = svc.metadata?.annotations?.[SOURCE_RANGES_ANNOTATION];
  if (annotation === undefined) return errs;
  const fp = path('metadata', 'annotations').key(SOURCE_RANGES_ANNOTATION);
  if (!lb) errs.push(forbidden(fp, "may only be used when `type` is 'LoadBalancer'"));
  const val = annotation.trim();
  if (val !== '') {
    for (const part of val.split(',')) {
      const value = part.trim();
      for (const m of isValidCIDRForLegacyField(value)) errs.push(invalid(fp, value, m));
    }
  }
  return errs;
}

export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, { namespaced: true, nameFn: nameIsDNS1035Label });
  const sp = path('spec');
  const spec = svc.spec ?? {};
  const ports = spec.ports ?? [];
  const headless = isHeadless(svc);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') errs.push(required(sp.child('ports')));
  switch (spec.type) {
    case 'LoadBalancer':
      ports.forEach((port, i) => {
        // Some clouds open firewalls wide for LB ports; never expose the kubelet that way.
        if (port.port === KUBELET_PORT) {
          errs.push(invalid(sp.child('ports').index(i), port.port, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`));
        }
      });
      if (headless) errs.push(invalid(sp.child('clusterIPs').index(0), 'None', "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(invalid(sp.child('clusterIPs').index(0), 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(invalid(sp.child('externalName'), cname, m));
      else errs.push(required(sp.child('externalName')));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((port, i) => errs.push(...validateServicePort(port, ports.length > 1, names, sp.child('ports').index(i))));
  if (spec.selector) errs.push(...validateLabels(spec.selector, sp.child('selector')));
  if (!spec.sessionAffinity) errs.push(required(sp.child('sessionAffinity')));
  else if (!SESSION_AFFINITY.includes(spec.sessionAffinity)) errs.push(notSupported(sp.child('sessionAffinity'), spec.sessionAffinity, SESSION_AFFINITY));
  if (!spec.type) errs.push(required(sp.child('type')));
  else if (!SERVICE_TYPES.includes(spec.type)) errs.push(notSupported(sp.child('type'), spec.type, SERVICE_TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((port, i) => {
      if (port.nodePort) errs.push(forbidden(sp.child('ports').index(i).child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const seenPorts = new Set<string>();
  const seenNodePorts = new Set<string>();
  ports.forEach((port, i) => {
    const key = `${port.protocol ?? ''}/${port.port}`;
    if (seenPorts.has(key)) errs.push(duplicate(sp.child('ports').index(i), goPortKey(port.protocol ?? '', port.port)));
    seenPorts.add(key);
    if (port.nodePort) {
      const nk = `${port.protocol ?? ''}/${port.nodePort}`;
      if (seenNodePorts.has(nk)) errs.push(duplicate(sp.child('ports').index(i).child('nodePort'), port.nodePort));
      seenNodePorts.add(nk);
    }
  });
  (spec.externalIPs ?? []).forEach((ip, i) => {
    for (const m of isValidIP(ip)) errs.push(invalid(sp.child('externalIPs').index(i), ip, m));
  });
  errs.push(...validateSourceRanges(svc));
  if (externallyAccessible(svc)) {
    if (!spec.externalTrafficPolicy) errs.push(required(sp.child('externalTrafficPolicy')));
    else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
      errs.push(notSupported(sp.child('externalTrafficPolicy'), spec.externalTrafficPolicy, TRAFFIC_POLICIES));
    }
  } else if (spec.externalTrafficPolicy) {
    errs.push(invalid(sp.child('externalTrafficPolicy'), spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  }
  if (!spec.internalTrafficPolicy) {
    if (['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type ?? '')) errs.push(required(sp.child('internalTrafficPolicy')));
  } else if (!TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported(sp.child('internalTrafficPolicy'), spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  errs.push(...validateClusterIPs(svc, sp));
  return errs;
}

export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  errs.push(...validateService(svc).filter((e) => !e.field.startsWith('metadata.')));
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return errs;
  if (isHeadless(svc) && isHeadless(old)) return errs;
  const n = svc.spec?.clusterIPs ?? [];
  const o = old.spec?.clusterIPs ?? [];
  const at0 = path('spec', 'clusterIPs').index(0);
  if (n.length === o.length) {
    o.forEach((ip, i) => {
      if (ip !== n[i]) errs.push(invalid(path('spec', 'clusterIPs').index(i), n, 'may not change once set'));
    });
  } else if (o.length > n.length) {
    if (n.length === 0) errs.push(invalid(at0, n, 'primary clusterIP can not be unset'));
    else if (n[0] !== o[0]) errs.push(invalid(at0, n, 'may not change once set'));
    if (n.length === 1 && svc.spec?.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid(at0, n, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (o.length > 0 && n[0] !== o[0]) {
    errs.push(invalid(at0, n, 'may not change once set'));
  }
  return errs;
}
