/** networking.k8s.io/v1 NetworkPolicy validation. */
import type { IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from 'kubernetes-types/networking/v1.js';
import { forbidden, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { CIDR_ERROR, isValidPortName, isValidPortNum } from '../names.ts';
import { parseCIDRSloppy, sloppyCIDRContains } from '../../../util/ip-sloppy.ts';

function validatePort(port: NetworkPolicyPort, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(port.protocol)) {
    errs.push(notSupported(p.child('protocol'), port.protocol, ['TCP', 'UDP', 'SCTP']));
  }
  if (port.port !== undefined && port.port !== null) {
    if (typeof port.port === 'number') {
      for (const m of isValidPortNum(port.port)) errs.push(invalid(p.child('port'), port.port, m));
      if (port.endPort !== undefined && port.endPort !== null) {
        if (port.endPort < port.port) errs.push(invalid(p.child('endPort'), port.port, 'must be greater than or equal to `port`'));
        for (const m of isValidPortNum(port.endPort)) errs.push(invalid(p.child('endPort'), port.endPort, m));
      }
    } else {
      if (port.endPort !== undefined && port.endPort !== null) {
        errs.push(invalid(p.child('endPort'), port.endPort, 'may not be specified when `port` is non-numeric'));
      }
      for (const m of isValidPortName(port.port)) errs.push(invalid(p.child('port'), port.port, m));
    }
  } else if (port.endPort !== undefined && port.endPort !== null) {
    errs.push(invalid(p.child('endPort'), port.endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

/**
 * ValidateIPBlock (1.33): cidr and except are legacy CIDR fields (IsValidCIDRForLegacyField, strict
 * validation off: ParseCIDRSloppy's forms); an except must lie in cidr (IPNet.Contains of its
 * network) with a longer prefix as written (Mask.Size()).
 */
function validateIPBlock(b: IPBlock, p: Path): FieldError[] {
  if (!b.cidr) return [required(p.child('cidr'))];
  const outer = parseCIDRSloppy(b.cidr);
  if (!outer) return [invalid(p.child('cidr'), b.cidr, CIDR_ERROR)];
  const errs: FieldError[] = [];
  (b.except ?? []).forEach((e, i) => {
    const ep = p.child('except').index(i);
    const inner = parseCIDRSloppy(e);
    if (!inner) {
      errs.push(invalid(ep, e, CIDR_ERROR));
      return;
    }
    if (!sloppyCIDRContains(outer, inner) || outer.maskBits >= inner.maskBits) errs.push(invalid(ep, e, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function validatePeer(peer: NetworkPolicyPeer, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer.podSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, p.child('podSelector')));
  }
  if (peer.namespaceSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, p.child('namespaceSelector')));
  }
  if (peer.ipBlock) {
    n++;
    errs.push(...validateIPBlock(peer.ipBlock, p.child('ipBlock')));
  }
  if (n === 0) errs.push(required(p, 'must specify a peer'));
  else if (n > 1 && peer.ipBlock) errs.push(forbidden(p, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function validateNetworkPolicy(np: NetworkPolicy): FieldError[] {
  const errs = validateObjectMeta(np.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec: NetworkPolicySpec = np.spec ?? ({} as NetworkPolicySpec);
  errs.push(...validateLabelSelector(spec.podSelector, sp.child('podSelector')));
  (spec.ingress ?? []).forEach((rule, i) => {
    const rp = sp.child('ingress').index(i);
    (rule.ports ?? []).forEach((port, j) => errs.push(...validatePort(port, rp.child('ports').index(j))));
    (rule.from ?? []).forEach((peer, j) => errs.push(...validatePeer(peer, rp.child('from').index(j))));
  });
  (spec.egress ?? []).forEach((rule, i) => {
    const rp = sp.child('egress').index(i);
    (rule.ports ?? []).forEach((port, j) => errs.push(...validatePort(port, rp.child('ports').index(j))));
    (rule.to ?? []).forEach((peer, j) => errs.push(...validatePeer(peer, rp.child('to').index(j))));
  });
  const types = spec.policyTypes ?? [];
  if (types.length > 2) {
    errs.push(invalid(sp.child('policyType'), types, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(sp.child('policyTypes').index(i), t, ['Ingress', 'Egress']));
  });
  return errs;
}

export function validateNetworkPolicyUpdate(np: NetworkPolicy, old: NetworkPolicy): FieldError[] {
  const errs = validateObjectMetaUpdate(np.metadata, old.metadata);
  errs.push(...validateNetworkPolicy(np).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}
