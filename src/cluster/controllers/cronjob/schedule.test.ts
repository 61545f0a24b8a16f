/** Cron evaluation (robfig/cron semantics), time zones and the missed-schedule arithmetic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from './schedule.ts';
import { formatRfc1123z, jobNameFor, mostRecentScheduleTime } from './schedule-times.ts';
import { formatRfc3339In } from './time-zone.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test('next activation strictly after t, for fields, ranges, steps, names and descriptors', () => {
  const cases: Array<[string, string, string]> = [
    ['*/15 * * * *', '2026-01-01T10:07:00Z', '2026-01-01T10:15:00.000Z'],
    ['*/15 * * * *', '2026-01-01T10:15:00Z', '2026-01-01T10:30:00.000Z'],
    ['0 9-17/4 * * mon-fri', '2026-01-02T14:00:00Z', '2026-01-02T17:00:00.000Z'],
    ['0 9-17/4 * * mon-fri', '2026-01-02T17:00:00Z', '2026-01-05T09:00:00.000Z'],
    ['@hourly', '2026-01-01T10:00:00Z', '2026-01-01T11:00:00.000Z'],
    ['@monthly', '2026-01-15T00:00:00Z', '2026-02-01T00:00:00.000Z'],
    ['@weekly', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'],
    ['@yearly', '2026-06-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    // Day of month OR day of week when neither is *: the 13th or a Friday.
    ['0 0 13 * 5', '2026-01-10T00:00:00Z', '2026-01-13T00:00:00.000Z'],
    ['0 0 13 * 5', '2026-01-13T00:00:00Z', '2026-01-16T00:00:00.000Z'],
    // With * in one of them: AND.
    ['0 0 * jan,feb sun', '2026-01-31T12:00:00Z', '2026-02-01T00:00:00.000Z'],
    ['0 0 30 2 *', '2026-01-01T00:00:00Z', 'none'],
  ];
  for (const [spec, from, want] of cases) assert.equal(iso(parseSchedule(spec).next(at(from))) ?? 'none', want, `${spec} after ${from}`);
  assert.equal(iso(parseSchedule('@every 90s').next(at('2026-01-01T10:00:00.500Z'))), '2026-01-01T10:01:30.000Z');
});

test('timeZone: wall-clock activations in the zone, a time skipped by DST does not fire', () => {
  const berlin = parseSchedule('0 9 * * *', 'Europe/Berlin');
  assert.equal(iso(berlin.next(at('2026-01-10T00:00:00Z'))), '2026-01-10T08:00:00.000Z');
  assert.equal(iso(berlin.next(at('2026-07-10T00:00:00Z'))), '2026-07-10T07:00:00.000Z');
  assert.equal(iso(parseSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *').next(at('2026-01-10T00:00:00Z'))), '2026-01-11T00:00:00.000Z');
  // 2026-03-08 02:30 does not exist in New York: the next run is on the 9th (06:30Z = 02:30 EDT).
  assert.equal(iso(parseSchedule('30 2 * * *', 'America/New_York').next(at('2026-03-08T00:00:00Z'))), '2026-03-09T06:30:00.000Z');
  assert.equal(formatRfc3339In(at('2026-01-10T08:00:00Z'), 'Europe/Berlin'), '2026-01-10T09:00:00+01:00');
  assert.equal(formatRfc3339In(at('2026-01-10T08:00:00Z'), undefined), '2026-01-10T08:00:00Z');
});

test('invalid schedules and zones throw robfig-style messages', () => {
  assert.throws(() => parseSchedule('* * * *'), /expected exactly 5 fields, found 4: \[\* \* \* \*\]/);
  assert.throws(() => parseSchedule('61 * * * *'), /end of range \(61\) above maximum \(59\): 61/);
  assert.throws(() => parseSchedule('* * * * *', 'Mars/Olympus'), /unknown time zone Mars\/Olympus/);
  assert.throws(() => parseSchedule('* * * * *', '+01:00'), /unknown time zone/);
});

test('most recent missed activation: counted from the interval, found exactly, limited by the starting deadline', () => {
  const every = parseSchedule('* * * * *');
  const cj = { metadata: { creationTimestamp: '2026-01-01T07:00:30Z' }, spec: {}, status: {} };
  const r = mostRecentScheduleTime(cj, at('2026-01-01T10:00:30Z'), every, true);
  assert.equal(r.missed, 180);
  assert.equal(iso(r.time), '2026-01-01T10:00:00.000Z');
  const withDeadline = { ...cj, spec: { startingDeadlineSeconds: 200 } };
  assert.equal(mostRecentScheduleTime(withDeadline, at('2026-01-01T10:00:30Z'), every, true).missed, 3, '09:58, 09:59 and 10:00');
  const irregular = parseSchedule('30 6-16/4 * * 1-5');
  const r2 = mostRecentScheduleTime({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status: {} }, at('2026-01-09T12:00:00Z'), irregular, false);
  assert.equal(iso(r2.time), '2026-01-09T10:30:00.000Z');
  assert.equal(mostRecentScheduleTime(cj, at('2026-01-01T07:00:45Z'), every, true).time, undefined);
  assert.equal(jobNameFor({ metadata: { name: 'hello' } }, at('2026-01-01T10:05:00Z')), `hello-${at('2026-01-01T10:05:00Z') / 60000}`);
  assert.equal(formatRfc1123z(at('2026-01-02T03:04:05Z')), 'Fri, 02 Jan 2026 03:04:05 +0000');
});
