/**
 * Cron schedules as the CronJob controller reads them (robfig/cron v3 ParseStandard): five fields
 * or a descriptor, in a time zone. Syntax is checked by the API's own parser (cron.ts, with
 * robfig's error texts); this file only evaluates what that accepts: next(t) is the first
 * activation strictly after t. Day-of-month and day-of-week combine as in robfig: AND when either
 * is `*` or `?`, OR otherwise. A wall time skipped by a DST change does not fire.
 */
import { cronError } from '../../../api/validation/batch/cron.ts';
import { parseDurationMs } from '../../../util/duration.ts';
import { checkTimeZone, fromWall, toWall } from './time-zone.ts';

export interface Schedule {
  /** The first activation after `ms`, or undefined when none comes within five years. */
  next(ms: number): number | undefined;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const NAMES: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
  sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6,
};
const BOUNDS: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
const FIVE_YEARS_MS = 5 * 366 * 24 * 3600_000;

interface Field {
  set: boolean[];
  /** Started with * or ? and had no step above 1 (robfig's starBit). */
  star: boolean;
}

const num = (s: string): number => NAMES[s.toLowerCase()] ?? Number(s);

/** One field that cronError already accepted. */
function parseField(expr: string, [min, max]: [number, number]): Field {
  const set: boolean[] = [];
  let star = false;
  for (const part of expr.split(',')) {
    const [range = '', stepStr] = part.split('/');
    const [lo = '', hi] = range.split('-');
    let start: number;
    let end: number;
    let partStar = false;
    if (lo === '*' || lo === '?') {
      [start, end] = [min, max];
      partStar = true;
    } else {
      start = num(lo);
      end = hi === undefined ? start : num(hi);
    }
    const step = stepStr === undefined ? 1 : Number(stepStr);
    if (stepStr !== undefined && hi === undefined && !partStar) end = max;
    if (step > 1) partStar = false;
    for (let v = start; v <= end; v += step) set[v] = true;
    star ||= partStar;
  }
  return { set, star };
}

function cronSchedule(fields: string[], tz: string | undefined): Schedule {
  const [minute, hour, dom, month, dow] = fields.map((f, i) => parseField(f, BOUNDS[i]!)) as [Field, Field, Field, Field, Field];
  const dayMatches = (d: Date): boolean => {
    const a = !!dom.set[d.getUTCDate()];
    const b = !!dow.set[d.getUTCDay()];
    return dom.star || dow.star ? a && b : a || b;
  };
  return {
    next(ms) {
      const first = Math.floor(toWall(ms, tz) / 60_000) * 60_000 + 60_000;
      for (let w = first; w < first + FIVE_YEARS_MS; ) {
        const d = new Date(w);
        const [y, mo, day, h] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
        if (!month.set[mo + 1]) w = Date.UTC(y, mo + 1, 1);
        else if (!dayMatches(d)) w = Date.UTC(y, mo, day + 1);
        else if (!hour.set[h]) w = Date.UTC(y, mo, day, h + 1);
        else if (!minute.set[d.getUTCMinutes()]) w += 60_000;
        else {
          const t = fromWall(w, tz);
          if (t !== undefined && t > ms) return t;
          w += 60_000;
        }
      }
      return undefined;
    },
  };
}

/** @every: robfig's ConstantDelaySchedule (whole seconds, at least one). */
function everySchedule(spec: string): Schedule {
  const delay = Math.max(1000, Math.floor(parseDurationMs(spec.slice('@every '.length)) / 1000) * 1000);
  return { next: (ms) => Math.floor(ms / 1000) * 1000 + delay };
}

/**
 * Parses a CronJob's schedule in its timeZone (none: UTC). A `TZ=` / `CRON_TZ=` prefix in the
 * schedule names the zone as in robfig. Throws an Error with robfig's text or the zone's.
 */
export function parseSchedule(spec: string, timeZone?: string): Schedule {
  const err = cronError(spec);
  if (err !== undefined) throw new Error(err);
  let s = spec.trim();
  let tz = timeZone;
  const m = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(s);
  if (m) {
    tz = m[1];
    s = m[2]!.trim();
  }
  if (tz !== undefined) checkTimeZone(tz);
  if (s.startsWith('@every ')) return everySchedule(s);
  return cronSchedule((DESCRIPTORS[s] ?? s).split(/\s+/), tz);
}
