/** Pod Security Standards engine (upstream k8s.io/pod-security-admission policy + api packages). */
export {
  activeChecks, createEvaluator, denialMessage, evaluatePod, forbiddenDetail, forbiddenReason, overridingCheck,
  UNKNOWN_FORBIDDEN_REASON, wouldViolateMessage,
} from './evaluate.ts';
export type { Evaluation, PodSecurityEvaluator, Violation } from './evaluate.ts';
export * from './labels.ts';
export { DEFAULT_CHECKS } from './checks/index.ts';
export { InvalidCheckError } from './registry.ts';
export type * from './types.ts';
