import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronError } from './cron.ts';

const cases: [string, string | undefined][] = [
  ['*/5 * * * *', undefined],
  ['0 0 1 jan,jul sun-sat', undefined],
  ['0 9-17/2 * * 1-5', undefined],
  ['@hourly', undefined],
  ['@every 1h30m', undefined],
  ['@every 1d', 'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'],
  ['@every s', 'failed to parse duration @every s: time: invalid duration "s"'],
  ['CRON_TZ=UTC 0 * * * *', undefined],
  ['', 'empty spec string'],
  ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
  ['60 * * * *', 'end of range (60) above maximum (59): 60'],
  ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
  ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
  ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
  ['*/0 * * * *', 'step of range should be a positive number: */0'],
  ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
  ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
];
for (const [spec, want] of cases) test(JSON.stringify(spec), () => assert.equal(cronError(spec), want));
