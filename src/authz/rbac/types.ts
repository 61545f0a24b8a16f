/** The shapes of rbac.authorization.k8s.io/v1 objects the authorizer reads (upstream field names). */
import type { AuthzResult } from '../types.ts';
import { builtinGroupPrefix } from '../../api/registry/resource-def.ts';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind: string;
  name: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

/** Role and ClusterRole. */
export interface RoleObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  rules?: PolicyRule[] | null;
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } | null;
}

/** RoleBinding and ClusterRoleBinding. */
export interface BindingObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  subjects?: Subject[] | null;
  roleRef: RoleRef;
}

export type BindingKind = 'RoleBinding' | 'ClusterRoleBinding';

/** What allowed a request: the binding, the subject in it that matched, and the rule. */
export interface RbacGrant {
  binding: { kind: BindingKind; name: string; namespace?: string };
  roleRef: RoleRef;
  subject: Subject;
  rule: PolicyRule;
}

/** The RBAC authorizer's result: an allow names the grant; the union passes `reason` through. */
export interface RbacAuthzResult extends AuthzResult {
  grant?: RbacGrant;
}

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const RBAC_PREFIX = builtinGroupPrefix('rbac.authorization.k8s.io');
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
export const BOOTSTRAP_LABEL = 'kubernetes.io/bootstrapping';
