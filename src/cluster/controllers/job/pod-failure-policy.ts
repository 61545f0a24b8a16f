/**
 * matchPodFailurePolicy (pod_failure_policy.go): the first rule matching a failed pod decides
 * what its failure means: FailJob ends the Job with a message, Ignore does not count it against
 * backoffLimit, Count counts it, FailIndex counts it and fails its index. Exit code 0 never
 * matches; a rule on conditions matches a pod condition of that type and status.
 */
import type { Pod } from '../pod-util.ts';

export type FailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PolicyMatch {
  /** Set for FailJob: the Failed condition's message. */
  failJobMessage?: string;
  countFailed: boolean;
  action?: FailurePolicyAction;
}

function exitCodeMatch(rule: Record<string, any>, pod: Pod): { container: string; exitCode: number } | undefined {
  const req = rule.onExitCodes;
  const values: number[] = Array.isArray(req?.values) ? req.values : [];
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const code = s?.state?.terminated?.exitCode;
    if (typeof code !== 'number' || code === 0) continue;
    if (req.containerName && req.containerName !== s.name) continue;
    const inValues = values.includes(code);
    if ((req.operator === 'In' && inValues) || (req.operator === 'NotIn' && !inValues)) return { container: s.name, exitCode: code };
  }
  return undefined;
}

function conditionMatch(rule: Record<string, any>, pod: Pod): string | undefined {
  const conds: Array<Record<string, any>> = pod.status?.conditions ?? [];
  for (const pattern of rule.onPodConditions ?? []) {
    const want = pattern?.status ?? 'True';
    if (conds.some((c) => c?.type === pattern?.type && c?.status === want)) return pattern.type;
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: Record<string, any> | undefined, pod: Pod): PolicyMatch {
  const rules: Array<Record<string, any>> = Array.isArray(policy?.rules) ? policy.rules : [];
  const who = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [i, rule] of rules.entries()) {
    const action = rule.action as FailurePolicyAction;
    let what: string | undefined;
    if (rule.onExitCodes) {
      const m = exitCodeMatch(rule, pod);
      if (m) what = `Container ${m.container} for pod ${who} failed with exit code ${m.exitCode} matching ${action} rule at index ${i}`;
    } else if (rule.onPodConditions) {
      const c = conditionMatch(rule, pod);
      if (c) what = `Pod ${who} has condition ${c} matching ${action} rule at index ${i}`;
    }
    if (what === undefined) continue;
    switch (action) {
      case 'FailJob': return { failJobMessage: what, countFailed: true, action };
      case 'Ignore': return { countFailed: false, action };
      case 'Count': return { countFailed: true, action };
      case 'FailIndex': return { countFailed: true, action };
      default: continue;
    }
  }
  return { countFailed: true };
}
