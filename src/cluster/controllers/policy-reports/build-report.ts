/**
 * The report of one namespace (PolicyReport) or of the cluster-scoped objects (ClusterPolicyReport),
 * bounded: at most `maxResults` results are listed, failures first, while the summary counts every
 * result, so a namespace with thousands of failing objects still gives a report of fixed size
 * (a known failure of other engines is reports filling the store).
 */
import { jsonEqual } from '../../../api/json-equal.ts';
import type { K8sObject, ResourceRef } from '../../client/types.ts';
import type { ReportResult, ResultKind } from './evaluate-object.ts';

export const REPORT_NAME = 'portcullis-validating-admission-policies';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'portcullis-policy-reports' };
/** Set on a report that lists fewer results than its summary counts. */
export const TRUNCATED_ANNOTATION = 'policy.portcullis.dev/results-truncated';
export const DEFAULT_MAX_RESULTS = 100;

export const POLICY_REPORTS: ResourceRef = Object.freeze({ group: 'wgpolicyk8s.io', version: 'v1alpha2', resource: 'policyreports', kind: 'PolicyReport', namespaced: true });
export const CLUSTER_POLICY_REPORTS: ResourceRef = Object.freeze({ group: 'wgpolicyk8s.io', version: 'v1alpha2', resource: 'clusterpolicyreports', kind: 'ClusterPolicyReport', namespaced: false });

const ORDER: Record<ResultKind, number> = { fail: 0, error: 1, warn: 2, skip: 3, pass: 4 };

function sortKey(r: ReportResult): string {
  const res = r.resources[0];
  return `${res?.namespace ?? ''}/${res?.kind ?? ''}/${res?.name ?? ''}/${r.policy}/${r.rule}`;
}

export interface ReportContent {
  summary: Record<ResultKind, number>;
  results: ReportResult[];
  truncated: boolean;
}

export function reportContent(all: readonly ReportResult[], maxResults: number): ReportContent {
  const summary: Record<ResultKind, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of all) summary[r.result]++;
  const sorted = [...all].sort((x, y) => ORDER[x.result] - ORDER[y.result] || (sortKey(x) < sortKey(y) ? -1 : sortKey(x) > sortKey(y) ? 1 : 0));
  return { summary, results: sorted.slice(0, maxResults), truncated: sorted.length > maxResults };
}

/** The report object to write for `namespace` ('' for the cluster), stamped `now`. */
export function reportObject(namespace: string, content: ReportContent, now: Date): K8sObject {
  const ref = namespace ? POLICY_REPORTS : CLUSTER_POLICY_REPORTS;
  const timestamp = { seconds: Math.floor(now.getTime() / 1000), nanos: 0 };
  return {
    apiVersion: `${ref.group}/${ref.version}`,
    kind: ref.kind,
    metadata: {
      name: REPORT_NAME,
      ...(namespace ? { namespace } : {}),
      labels: { ...MANAGED_BY },
      ...(content.truncated ? { annotations: { [TRUNCATED_ANNOTATION]: 'true' } } : {}),
    },
    summary: content.summary,
    results: content.results.map((r) => ({ ...r, timestamp })),
  };
}

/** Whether a stored report already says what `content` says (timestamps aside). */
export function sameContent(stored: K8sObject | undefined, content: ReportContent): boolean {
  if (!stored) return false;
  const strip = (rs: readonly Record<string, unknown>[]) => rs.map(({ timestamp: _t, ...rest }) => rest);
  return (
    jsonEqual(stored.summary ?? {}, content.summary) &&
    jsonEqual(strip(stored.results ?? []), strip(content.results as unknown as Record<string, unknown>[])) &&
    (stored.metadata.annotations?.[TRUNCATED_ANNOTATION] === 'true') === content.truncated
  );
}
