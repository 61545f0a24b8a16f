/** The admission boundary (DESIGN.md): mutating plugins, then validating plugins, each with a verdict. */
import type { ApiError } from '../api/errors.ts';
import type { UserInfo } from '../authn/types.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  /** The object being written; mutating plugins may change it in place. Undefined for DELETE. */
  object: Record<string, any> | undefined;
  oldObject: Record<string, any> | undefined;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subresource: string;
  namespace: string;
  name: string;
  user: UserInfo;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions of the request. */
  options?: Record<string, unknown>;
}

export interface Verdict {
  allowed: boolean;
  /** Why (for denials: the Status message; for admits: what was done). */
  reason?: string;
  /** HTTP code for a denial; default 403. */
  code?: number;
  warnings?: string[];
  /** Annotations for the audit record (key → value). */
  auditAnnotations?: Record<string, string>;
  /** A description of the patches a mutating plugin applied. */
  patches?: unknown[];
  /**
   * For a denial: the exact Status to answer, when the plugin has its own (a webhook's). A
   * plugin denies this way, not by throwing, so its warnings and audit annotations still count.
   */
  error?: ApiError;
}

export interface MutatingPlugin {
  readonly name: string;
  handles(a: AdmissionAttributes): boolean;
  admit(a: AdmissionAttributes): Promise<Verdict>;
  /**
   * Upstream's reinvocation: called once more for the same request after every mutating plugin
   * has run, so a plugin can run its parts again that asked for it (reinvocationPolicy IfNeeded).
   */
  reinvoke?(a: AdmissionAttributes): Promise<Verdict>;
}

export interface ValidatingPlugin {
  readonly name: string;
  handles(a: AdmissionAttributes): boolean;
  validate(a: AdmissionAttributes): Promise<Verdict>;
}

/** One entry per plugin run, kept on the request for audit and explain. */
export interface VerdictRecord {
  plugin: string;
  phase: 'mutating' | 'validating';
  allowed: boolean;
  reason?: string;
  patches?: unknown[];
  durationMs: number;
}
