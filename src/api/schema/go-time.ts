/**
 * Go's time.Parse(time.RFC3339, s) as metav1.Time's UnmarshalJSON runs it: which strings it
 * accepts, and its error text (`parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse
 * "x" as "2006"`, `...: month out of range`), so a bad timestamp is refused on decode exactly as
 * upstream refuses it. Returns the error message, or undefined when Go would parse the string.
 */
const LAYOUT = '2006-01-02T15:04:05Z07:00';

type Step = { literal: string } | { std: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'zone'; text: string };
const STEPS: Step[] = [
  { std: 'year', text: '2006' }, { literal: '-' }, { std: 'month', text: '01' }, { literal: '-' }, { std: 'day', text: '02' },
  { literal: 'T' }, { std: 'hour', text: '15' }, { literal: ':' }, { std: 'minute', text: '04' }, { literal: ':' },
  { std: 'second', text: '05' }, { std: 'zone', text: 'Z07:00' },
];

const quote = (s: string) => JSON.stringify(s);
const isDigit = (s: string, i: number) => i < s.length && s[i]! >= '0' && s[i]! <= '9';

/** Go's getnum: one or two digits (exactly two when fixed). */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function rfc3339Error(avalue: string): string | undefined {
  return canonicalUtc(avalue) ? undefined : parseError(avalue);
}

const c0 = 48; // '0'
const d = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - c0;
  return c >= 0 && c <= 9 ? c : -1;
};
const two = (s: string, i: number): number => {
  const a = d(s, i);
  const b = d(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
};

/**
 * The form every client and this server write (`2006-01-02T15:04:05Z`, optionally with a
 * fractional second, in UTC), checked without allocating: true only for strings parseError
 * accepts (a pod's status write carries seven timestamps). Anything else, accepted or not, goes
 * to parseError, which alone words the errors.
 */
function canonicalUtc(s: string): boolean {
  const n = s.length;
  if (n < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour >= 24 || minute < 0 || minute >= 60 || second < 0 || second >= 60) return false;
  let i = 19;
  const sep = s.charCodeAt(i);
  if ((sep === 46 || sep === 44) && i + 1 < n && d(s, i + 1) >= 0) {
    i += 2;
    while (i < n && d(s, i) >= 0) i++;
  }
  return i === n - 1 && s.charCodeAt(i) === 90 && day <= daysIn(month, y1 * 100 + y2);
}

/** The whole of time.Parse's checks (exported for the test that holds canonicalUtc to it). */
export function parseError(avalue: string): string | undefined {
  const cannot = (valueElem: string, layoutElem: string) =>
    `parsing time ${quote(avalue)} as ${quote(LAYOUT)}: cannot parse ${quote(valueElem)} as ${quote(layoutElem)}`;
  const range = (what: string) => `parsing time ${quote(avalue)}: ${what} out of range`;
  let value = avalue;
  let year = 0;
  let month = 0;
  let day = 0;
  for (const step of STEPS) {
    if ('literal' in step) {
      if (!value.startsWith(step.literal)) return cannot(value, step.literal);
      value = value.slice(step.literal.length);
      continue;
    }
    const hold = value;
    switch (step.std) {
      case 'year': {
        const p = value.slice(0, 4);
        if (value.length < 4 || !/^[+-]?\d+$/.test(p)) return cannot(hold, step.text);
        year = Number(p);
        value = value.slice(4);
        break;
      }
      case 'month':
      case 'day':
      case 'hour':
      case 'minute':
      case 'second': {
        const got = getnum(value, step.std !== 'hour');
        if (!got) return cannot(hold, step.text);
        const [n, rest] = got;
        value = rest;
        if (step.std === 'month' && (n <= 0 || n > 12)) return range('month');
        if (step.std === 'hour' && n >= 24) return range('hour');
        if (step.std === 'minute' && n >= 60) return range('minute');
        if (step.std === 'second' && n >= 60) return range('second');
        if (step.std === 'month') month = n;
        if (step.std === 'day') day = n;
        // A fractional second the layout does not name is accepted after the seconds.
        if (step.std === 'second' && value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigit(value, 1)) {
          let i = 2;
          while (isDigit(value, i)) i++;
          value = value.slice(i);
        }
        break;
      }
      case 'zone': {
        if (value[0] === 'Z') {
          value = value.slice(1);
          break;
        }
        if (value.length < 6 || value[3] !== ':') return cannot(hold, step.text);
        const hr = getnum(value.slice(1, 3), true);
        const mm = getnum(value.slice(4, 6), true);
        if (!hr || !mm || (value[0] !== '+' && value[0] !== '-')) return cannot(hold, step.text);
        if (hr[0] > 24) return range('time zone offset hour');
        if (mm[0] > 60) return range('time zone offset minute');
        value = value.slice(6);
        break;
      }
    }
  }
  if (value !== '') return `parsing time ${quote(avalue)}: extra text: ${quote(value)}`;
  if (day < 1 || day > daysIn(month, year)) return range('day');
  return undefined;
}
