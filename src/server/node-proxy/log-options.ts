/**
 * pods/log's query (PodLogOptions) read and validated as kube-apiserver's LogREST: the messages of
 * ValidatePodLogOptions in a 422 `PodLogOptions "<pod>" is invalid: ...`, and the kubelet's
 * /containerLogs query built as LogLocation builds it (only what is set; sinceTime in RFC 3339
 * seconds). `stream` belongs to the PodLogsQuerySplitStreams gate, off in 1.33: not passed on.
 */
import { ApiError, badRequest } from '../../api/errors.ts';
import { aggregateMessage, forbidden, invalid, path, toStatusCauses, type FieldError } from '../../api/validation/field-errors.ts';
import { queryFlag } from '../rest/query-bool.ts';

export interface PodLogRequest {
  container: string;
  follow: boolean;
  /** The kubelet's query. */
  kubeletQuery: URLSearchParams;
}

/** An int64 query parameter as the conversion reads it (a bad number is a 400 before validation). */
function int64(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** metav1.Time from a query value: RFC 3339, kept to the second as upstream's Time is. */
function rfc3339(q: URLSearchParams, name: string): Date | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const ok = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v);
  const d = new Date(v);
  if (!ok || Number.isNaN(d.getTime())) throw badRequest(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006"`);
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export function podLogRequest(podName: string, q: URLSearchParams): PodLogRequest & { previous: boolean; timestamps: boolean } {
  const tailLines = int64(q, 'tailLines');
  const limitBytes = int64(q, 'limitBytes');
  const sinceSeconds = int64(q, 'sinceSeconds');
  const sinceTime = rfc3339(q, 'sinceTime');
  const errs: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errs.push(invalid(path('tailLines'), tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1) errs.push(invalid(path('limitBytes'), limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined) errs.push(forbidden(path(''), 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (sinceSeconds !== undefined && sinceSeconds < 1) errs.push(invalid(path('sinceSeconds'), sinceSeconds, 'must be greater than 0'));
  if (errs.length > 0) {
    throw new ApiError(422, 'Invalid', `PodLogOptions "${podName}" is invalid: ${aggregateMessage(errs)}`, { name: podName, kind: 'PodLogOptions', causes: toStatusCauses(errs) });
  }
  const follow = queryFlag(q, 'follow');
  const previous = queryFlag(q, 'previous');
  const timestamps = queryFlag(q, 'timestamps');
  const k = new URLSearchParams();
  if (follow) k.set('follow', 'true');
  if (previous) k.set('previous', 'true');
  if (timestamps) k.set('timestamps', 'true');
  if (sinceSeconds !== undefined) k.set('sinceSeconds', String(sinceSeconds));
  if (sinceTime !== undefined) k.set('sinceTime', sinceTime.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  if (tailLines !== undefined) k.set('tailLines', String(tailLines));
  if (limitBytes !== undefined) k.set('limitBytes', String(limitBytes));
  return { container: q.get('container') ?? '', follow, previous, timestamps, kubeletQuery: k };
}
