/**
 * The webhook configuration shapes this module reads (admissionregistration.k8s.io/v1
 * MutatingWebhook / ValidatingWebhook), and the compiled form the dispatchers use.
 */
import type { LabelSelector } from '../../api/selectors/label-selector.ts';
import type { CompiledConditions } from './match-conditions.ts';

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

export interface ServiceReference {
  namespace: string;
  name: string;
  path?: string;
  port?: number;
}

export interface WebhookClientConfig {
  url?: string;
  service?: ServiceReference;
  /** Base64 PEM bundle; empty means the system roots. */
  caBundle?: string;
}

export interface MetaLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface WebhookSpec {
  name: string;
  clientConfig: WebhookClientConfig;
  rules?: RuleWithOperations[];
  failurePolicy?: string;
  matchPolicy?: string;
  namespaceSelector?: MetaLabelSelector;
  objectSelector?: MetaLabelSelector;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  matchConditions?: { name: string; expression: string }[];
  /** Mutating webhooks only. */
  reinvocationPolicy?: string;
}

export interface WebhookConfiguration {
  metadata: { name: string; uid?: string };
  webhooks?: WebhookSpec[];
}

/** One webhook of one configuration, ready to dispatch (upstream's WebhookAccessor). */
export interface Hook {
  /** Unique across configurations: "<configuration>/<index>" (upstream's accessor uid). */
  uid: string;
  configurationName: string;
  name: string;
  spec: WebhookSpec;
  failOpen: boolean;
  timeoutSeconds: number;
  namespaceSelector: LabelSelector;
  objectSelector: LabelSelector;
  /**
   * Why a selector did not parse (validation refuses such configurations, but one stored before or
   * around it may remain): the webhook is then an internal error for every request its rules
   * select, never silently skipped.
   */
  namespaceSelectorError?: string;
  objectSelectorError?: string;
  conditions: CompiledConditions;
  reinvokeIfNeeded: boolean;
}

export const DEFAULT_TIMEOUT_SECONDS = 10;
export const MAX_TIMEOUT_SECONDS = 30;
