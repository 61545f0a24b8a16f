/**
 * When a stored Event (core/v1, the form both Event APIs store) was last written, as far as the
 * object says: the latest of its creationTimestamp, first/lastTimestamp, eventTime,
 * series.lastObservedTime and its managedFields' times (the API server stamps the writer's entry on
 * every write). undefined when none parses, as for a value stored encrypted (a string).
 * expiry-backfill.ts gives an Event stored without an expiry this time + --event-ttl.
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function eventWrittenAt(value: unknown): number | undefined {
  if (!isObj(value)) return undefined;
  const meta = isObj(value.metadata) ? value.metadata : {};
  const series = isObj(value.series) ? value.series : {};
  const managed = Array.isArray(meta.managedFields) ? meta.managedFields.filter(isObj).map((m) => m.time) : [];
  let latest: number | undefined;
  for (const t of [meta.creationTimestamp, value.firstTimestamp, value.lastTimestamp, value.eventTime, series.lastObservedTime, ...managed]) {
    const ms = typeof t === 'string' ? Date.parse(t) : NaN;
    if (Number.isFinite(ms) && (latest === undefined || ms > latest)) latest = ms;
  }
  return latest;
}
