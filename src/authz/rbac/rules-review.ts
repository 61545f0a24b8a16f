/** SelfSubjectRulesReview's status from RBAC (upstream RBACAuthorizer.RulesFor). */
import type { UserInfo } from '../../authn/types.ts';
import type { RuleSource } from './escalation.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

export interface RulesReviewStatus {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError?: string;
}

/** A rule with resources is a resource rule, one with URLs a non-resource rule (a rule with both is both). */
export function rulesReview(src: Pick<RuleSource, 'rulesFor'>, user: UserInfo, namespace: string): RulesReviewStatus {
  const { rules, errors } = src.rulesFor(user, namespace);
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  for (const r of rules) {
    if ((r.resources ?? []).length > 0) {
      const rr: ResourceRule = { verbs: [...r.verbs] };
      if ((r.apiGroups ?? []).length > 0) rr.apiGroups = [...r.apiGroups!];
      rr.resources = [...r.resources!];
      if ((r.resourceNames ?? []).length > 0) rr.resourceNames = [...r.resourceNames!];
      resourceRules.push(rr);
    }
    if ((r.nonResourceURLs ?? []).length > 0) nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...r.nonResourceURLs!] });
  }
  const status: RulesReviewStatus = { resourceRules, nonResourceRules, incomplete: errors.length > 0 };
  // utilerrors.NewAggregate(visitor.errors).Error()
  if (errors.length > 0) status.evaluationError = aggregateMessage(errors);
  return status;
}
