/**
 * Namespace label parsing (upstream k8s.io/pod-security-admission/api helpers.go). Parsing never
 * fails open for enforce: an unknown level means "restricted" and an unknown version "latest", the
 * strictest choice, with an error the admission plugin records as the audit annotation
 * "error": "Failed to parse policy: ...". Audit and warn fall back to "privileged" instead, so a typo
 * there cannot block anything.
 */
import { goQuote } from './format.ts';
import type { Level, PolicyVersion } from './types.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const ENFORCE_LEVEL_LABEL = `${LABEL_PREFIX}enforce`;
export const ENFORCE_VERSION_LABEL = `${LABEL_PREFIX}enforce-version`;
export const AUDIT_LEVEL_LABEL = `${LABEL_PREFIX}audit`;
export const AUDIT_VERSION_LABEL = `${LABEL_PREFIX}audit-version`;
export const WARN_LEVEL_LABEL = `${LABEL_PREFIX}warn`;
export const WARN_VERSION_LABEL = `${LABEL_PREFIX}warn-version`;

/** Audit annotation keys the admission plugin sets (prefixed with LABEL_PREFIX). */
export const AUDIT_ANNOTATION_EXEMPT = `${LABEL_PREFIX}exempt`;
export const AUDIT_ANNOTATION_VIOLATIONS = `${LABEL_PREFIX}audit-violations`;
export const AUDIT_ANNOTATION_ENFORCE_POLICY = `${LABEL_PREFIX}enforce-policy`;

export const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

export interface Parsed<T> {
  readonly value: T;
  /** Set when the input was invalid and `value` is the fallback. */
  readonly error?: string;
}

export function parseLevel(value: string): Parsed<Level> {
  if ((LEVELS as readonly string[]).includes(value)) return { value: value as Level };
  return { value: 'restricted', error: `must be one of ${LEVELS.join(', ')}` };
}

const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;

export function parseVersion(value: string): Parsed<PolicyVersion> {
  if (value === 'latest') return { value: 'latest' };
  const m = VERSION_RE.exec(value);
  if (m && Number.isSafeInteger(Number(m[1]))) return { value: value as PolicyVersion };
  return { value: 'latest', error: 'must be "latest" or "v1.x"' };
}

/** The minor of a parsed version; "latest" is +Infinity (newer than any release). */
export function versionMinor(version: PolicyVersion): number {
  return version === 'latest' ? Infinity : Number(version.slice(3));
}

export interface LevelVersion {
  readonly level: Level;
  readonly version: PolicyVersion;
}

export interface NamespacePolicy {
  readonly enforce: LevelVersion;
  readonly audit: LevelVersion;
  readonly warn: LevelVersion;
}

/** "restricted:v1.30", as printed in messages and the enforce-policy audit annotation. */
export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${lv.version}`;
}

/**
 * Resolves a namespace's labels to its policy, starting from the configured defaults (upstream
 * PolicyToEvaluate). A usable policy is always returned; `errors` holds field-error texts such as
 * `metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "x": must be one of ...`.
 */
export function policyToEvaluate(
  labels: Readonly<Record<string, string>> | null | undefined,
  defaults: NamespacePolicy,
): { policy: NamespacePolicy; errors: string[] } {
  const errors: string[] = [];
  if (!labels) return { policy: defaults, errors };
  const read = <T>(
    label: string,
    parse: (v: string) => Parsed<T>,
    fallback: T,
    onError?: T,
  ): T => {
    if (!Object.hasOwn(labels, label)) return fallback;
    const raw = labels[label]!;
    const parsed = parse(raw);
    if (parsed.error === undefined) return parsed.value;
    errors.push(`metadata.labels[${label}]: Invalid value: ${goQuote(raw)}: ${parsed.error}`);
    return onError ?? parsed.value;
  };
  const policy: NamespacePolicy = {
    enforce: {
      level: read(ENFORCE_LEVEL_LABEL, parseLevel, defaults.enforce.level),
      version: read(ENFORCE_VERSION_LABEL, parseVersion, defaults.enforce.version),
    },
    audit: {
      level: read(AUDIT_LEVEL_LABEL, parseLevel, defaults.audit.level, 'privileged'),
      version: read(AUDIT_VERSION_LABEL, parseVersion, defaults.audit.version),
    },
    warn: {
      level: read(WARN_LEVEL_LABEL, parseLevel, defaults.warn.level, 'privileged'),
      version: read(WARN_VERSION_LABEL, parseVersion, defaults.warn.version),
    },
  };
  return { policy, errors };
}

/** The namespace label errors' ToAggregate text; '' for none (callers only ask when there are some). */
export function policyErrorMessage(errors: readonly string[]): string {
  return aggregateMessage(errors) ?? '';
}
