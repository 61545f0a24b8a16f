/** Networking, RBAC, policy, coordination, admission registration and certificates kinds. */
import { doc } from '../field-docs.ts';
import { humanDuration, since } from '../duration.ts';
import { arr, count, formatLabelSelector, intOrString, int, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { loadBalancerIngress } from './core.ts';
import { AGE, NAME } from './meta.ts';

const name = (o: Obj): string => str(obj(o.metadata).name);
const age = (o: Obj, now: Date): string => since(obj(o.metadata).creationTimestamp, now);

export const networkPolicyPrinter: Printer = {
  columns: [NAME, column('Pod-Selector', 'string', doc('extensions/v1beta1:NetworkPolicySpec.podSelector')), AGE],
  // podSelector is a value, never nil, so an absent one formats as the empty selector.
  cells: (o, now) => [name(o), formatLabelSelector(obj(obj(o.spec).podSelector)), age(o, now)],
};

function ingressHosts(rules: unknown): string {
  const rs = arr(rules);
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const r of rs) {
    if (list.length === max) more = true;
    if (!more && str(r.host) !== '') list.push(str(r.host));
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${rs.length - max} more...` : ret;
}

export const ingressPrinter: Printer = {
  columns: [
    NAME,
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE,
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const className = spec.ingressClassName === undefined || spec.ingressClassName === null ? '<none>' : str(spec.ingressClassName);
    const ports = arr(spec.tls).length > 0 ? '80, 443' : '80';
    return [name(o), className, ingressHosts(spec.rules), loadBalancerIngress(obj(obj(o.status).loadBalancer).ingress), ports, age(o, now)];
  },
};

/** rbac.SubjectsStrings: users, groups and service accounts (namespace/name). */
function subjects(o: Obj): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of arr(o.subjects)) {
    if (s.kind === 'User') users.push(str(s.name));
    else if (s.kind === 'Group') groups.push(str(s.name));
    else if (s.kind === 'ServiceAccount') sas.push(`${str(s.namespace)}/${str(s.name)}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(what: string, roleRefDoc: string): Printer {
  return {
    columns: [
      NAME,
      column('Role', 'string', roleRefDoc),
      AGE,
      column('Users', 'string', `Users in the ${what}`, { priority: 1 }),
      column('Groups', 'string', `Groups in the ${what}`, { priority: 1 }),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, { priority: 1 }),
    ],
    cells: (o, now) => [name(o), `${str(obj(o.roleRef).kind)}/${str(obj(o.roleRef).name)}`, age(o, now), ...subjects(o)],
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding', doc('rbac/v1beta1:RoleBinding.roleRef'));
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding', doc('rbac/v1beta1:ClusterRoleBinding.roleRef'));

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE,
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const orNA = (v: unknown): string => (v === undefined || v === null ? 'N/A' : intOrString(v));
    return [name(o), orNA(spec.minAvailable), orNA(spec.maxUnavailable), int(obj(o.status).disruptionsAllowed), age(o, now)];
  },
};

export const leasePrinter: Printer = {
  columns: [NAME, column('Holder', 'string', doc('coordination/v1:LeaseSpec.holderIdentity')), AGE],
  cells: (o, now) => [name(o), str(obj(o.spec).holderIdentity), age(o, now)],
};

const WEBHOOKS = column('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration');

export const webhookConfigurationPrinter: Printer = {
  columns: [NAME, WEBHOOKS, AGE],
  cells: (o, now) => [name(o), count(o.webhooks), age(o, now)],
};

export const validatingAdmissionPolicyPrinter: Printer = {
  columns: [
    NAME,
    column('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration'),
    column('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    AGE,
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const pk = spec.paramKind ? `${str(obj(spec.paramKind).apiVersion)}/${str(obj(spec.paramKind).kind)}` : '<unset>';
    return [name(o), count(spec.validations), pk, age(o, now)];
  },
};

function paramRefName(pr: unknown): string {
  if (!pr) return '<unset>';
  const p = obj(pr);
  if (str(p.name) !== '') return str(p.namespace) !== '' ? `${str(p.namespace)}/${str(p.name)}` : `*/${str(p.name)}`;
  if (p.selector) return goLabelSelectorString(obj(p.selector));
  return '<unset>';
}

/** The generated protobuf String() of a metav1.LabelSelector, which upstream prints here. */
function goLabelSelectorString(sel: Obj): string {
  const labels = obj(sel.matchLabels);
  const ml = Object.keys(labels)
    .sort()
    .map((k) => `${k}: ${str(labels[k])},`)
    .join('');
  const me = arr(sel.matchExpressions)
    .map((e) => `LabelSelectorRequirement{Key:${str(e.key)},Operator:${str(e.operator)},Values:[${arr(e.values).map(str).join(' ')}],},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${ml}},MatchExpressions:[]LabelSelectorRequirement{${me}},}`;
}

export const validatingAdmissionPolicyBindingPrinter: Printer = {
  columns: [
    NAME,
    column('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
    column('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
    AGE,
  ],
  cells: (o, now) => [name(o), str(obj(o.spec).policyName), paramRefName(obj(o.spec).paramRef), age(o, now)],
};

function csrCondition(o: Obj): string {
  const types = new Set(arr(obj(o.status).conditions).map((c) => c.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (str(obj(o.status).certificate) !== '') s += ',Issued';
  return s;
}

/** csr.ExpirationSecondsToDuration, then HumanDuration. */
function requestedDuration(seconds: unknown): string {
  if (typeof seconds !== 'number') return '<none>';
  return humanDuration(Math.trunc(seconds) * 1000);
}

export const certificateSigningRequestPrinter: Printer = {
  columns: [
    NAME,
    AGE,
    column('SignerName', 'string', doc('certificates/v1beta1:CertificateSigningRequestSpec.signerName')),
    column('Requestor', 'string', doc('certificates/v1beta1:CertificateSigningRequestSpec.request')),
    column('RequestedDuration', 'string', doc('certificates/v1beta1:CertificateSigningRequestSpec.expirationSeconds')),
    column('Condition', 'string', doc('certificates/v1beta1:CertificateSigningRequestStatus.conditions')),
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    return [name(o), age(o, now), str(spec.signerName) || '<none>', str(spec.username), requestedDuration(spec.expirationSeconds), csrCondition(o)];
  },
};
