import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseDurationMs, parseGoDuration } from './duration.ts';

const S = 1_000_000_000n;
const MS = 1_000_000n;
const US = 1_000n;
const MIN = 60n * S;
const H = 60n * MIN;
const MAX = (1n << 63n) - 1n;

// Go's own table (src/time/time_test.go parseDurationTests).
const ok: [string, bigint][] = [
  ['0', 0n], ['5s', 5n * S], ['30s', 30n * S], ['1478s', 1478n * S],
  ['-5s', -5n * S], ['+5s', 5n * S], ['-0', 0n], ['+0', 0n],
  ['5.0s', 5n * S], ['5.6s', 5n * S + 600n * MS], ['5.s', 5n * S], ['.5s', 500n * MS], ['1.0s', S], ['1.00s', S],
  ['1.004s', S + 4n * MS], ['1.0040s', S + 4n * MS], ['100.00100s', 100n * S + MS],
  ['10ns', 10n], ['11us', 11n * US], ['12µs', 12n * US], ['12μs', 12n * US], ['13ms', 13n * MS], ['14s', 14n * S], ['15m', 15n * MIN], ['16h', 16n * H],
  ['3h30m', 3n * H + 30n * MIN], ['10.5s4m', 4n * MIN + 10n * S + 500n * MS], ['-2m3.4s', -(2n * MIN + 3n * S + 400n * MS)],
  ['1h2m3s4ms5us6ns', H + 2n * MIN + 3n * S + 4n * MS + 5n * US + 6n], ['39h9m14.425s', 39n * H + 9n * MIN + 14n * S + 425n * MS],
  ['52763797000ns', 52763797000n], ['0.3333333333333333333h', 20n * MIN], ['9007199254740993ns', (1n << 53n) + 1n],
  ['9223372036854775807ns', MAX], ['9223372036854775.807us', MAX], ['9223372036s854ms775us807ns', MAX],
  ['-9223372036854775808ns', -(1n << 63n)], ['-9223372036854775.808us', -(1n << 63n)], ['-9223372036s854ms775us808ns', -(1n << 63n)],
  ['-2562047h47m16.854775808s', -(1n << 63n)], ['0.100000000000000000000h', 6n * MIN],
  ['0.830103483285477580700h', 49n * MIN + 48n * S + 372539827n],
  // The forms the flags document.
  ['500ms', 500n * MS], ['1.5s', 1500n * MS], ['2m', 2n * MIN], ['1h30m', 90n * MIN], ['300us', 300n * US],
];
for (const [s, want] of ok) {
  test(`parseGoDuration(${JSON.stringify(s)}) = ${want}ns`, () => assert.equal(parseGoDuration(s), want));
}

// Go's parseDurationErrorTests, plus "1d" (Go has no day unit) and stray spaces.
const bad: [string, RegExp][] = [
  ['', /time: invalid duration ""/], ['3', /missing unit in duration "3"/], ['5', /missing unit/], ['-', /invalid duration "-"/], ['s', /invalid duration "s"/],
  ['.', /invalid duration/], ['-.', /invalid duration/], ['.s', /invalid duration/], ['+.s', /invalid duration/],
  ['1d', /unknown unit "d" in duration "1d"/], ['\x85\x85', /invalid duration/], ['hello \xffff world', /invalid duration/], ['\uFFFD', /invalid duration/],
  ['9223372036854775810ns', /invalid duration/], ['9223372036854775808ns', /invalid duration/], ['-9223372036854775809ns', /invalid duration/],
  ['9223372036854776us', /invalid duration/], ['3000000h', /invalid duration/], ['9223372036854775.808us', /invalid duration/],
  ['9223372036854ms775us808ns', /invalid duration/], ['2m ', /unknown unit "m "/], [' 2m', /invalid duration/], ['1h-5m', /unknown unit "h-"/], ['true', /invalid duration/],
];
for (const [s, want] of bad) {
  test(`parseGoDuration(${JSON.stringify(s)}) is refused`, () => assert.throws(() => parseGoDuration(s), want));
}

test('parseDurationMs keeps fractions of a millisecond', () => {
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('1500us'), 1.5);
  assert.equal(parseDurationMs('0'), 0);
});

test('formatGoDuration prints as Go\'s time.Duration.String', () => {
  const cases: [bigint, string][] = [[0n, '0s'], [1n, '1ns'], [1_500n, '1.5µs'], [1_500_000n, '1.5ms'], [10_000_000_000n, '10s'], [80_000_000_000n, '1m20s'], [300_000_000_000n, '5m0s'], [3_600_000_000_000n, '1h0m0s'], [3_723_500_000_000n, '1h2m3.5s'], [-1_500_000_000n, '-1.5s']];
  for (const [ns, want] of cases) assert.equal(formatGoDuration(ns), want);
});
