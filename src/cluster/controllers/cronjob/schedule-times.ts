/**
 * When a CronJob should have run (cronjob/utils.go): the most recent missed activation since its
 * last schedule (or creation, or the starting deadline), the number missed (approximated from the
 * interval, as upstream, so a long outage costs no long loop), and the delay to the next one.
 */
import type { K8sObject } from '../../client/types.ts';
import { parseTime } from '../pod-util.ts';
import type { Schedule } from './schedule.ts';

/** Upstream's nextScheduleDelta: wake a little after the activation, never just before it. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed activations than this earn the TooManyMissedTimes warning. */
export const TOO_MANY_MISSED = 100;

export interface MostRecent {
  time?: number;
  missed: number;
}

function earliestOf(cj: K8sObject): number {
  return parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata.creationTimestamp) ?? 0;
}

/** mostRecentScheduleTime. */
export function mostRecentScheduleTime(cj: K8sObject, nowMs: number, sched: Schedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = earliestOf(cj);
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && typeof sds === 'number') earliest = Math.max(earliest, nowMs - sds * 1000);
  const t1 = sched.next(earliest);
  if (t1 === undefined || t1 > nowMs) return { missed: 0 };
  const t2 = sched.next(t1);
  if (t2 === undefined || t2 > nowMs) return { time: t1, missed: 1 };
  const interval = Math.max(1, Math.round((t2 - t1) / 1000));
  const missed = Math.floor((nowMs - t1) / 1000 / interval) + 1;
  // From one interval before the estimate, the schedule itself finds the exact last activation
  // (irregular schedules such as "30 6-16/4 * * 1-5" included).
  let time: number | undefined;
  for (let t = sched.next(t1 + (missed - 2) * interval * 1000); t !== undefined && t <= nowMs; t = sched.next(t)) time = t;
  return { time: time ?? t1, missed };
}

/** nextScheduleTimeDuration: how long until the activation after the most recent one. */
export function nextScheduleDelay(cj: K8sObject, nowMs: number, sched: Schedule): number | undefined {
  const recent = mostRecentScheduleTime(cj, nowMs, sched, false).time ?? earliestOf(cj);
  const next = sched.next(recent);
  return next === undefined ? undefined : Math.max(0, next + NEXT_SCHEDULE_DELTA_MS - nowMs);
}

/** getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`. */
export function jobNameFor(cj: K8sObject, scheduledMs: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}

/** time.RFC1123Z in UTC, as the MissSchedule event prints the time. */
export function formatRfc1123z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
