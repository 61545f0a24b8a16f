import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseError, rfc3339Error } from './go-time.ts';

// rfc3339Error answers the common UTC form without parsing; it must agree with the full parse on
// every string, accepted or not (the error text comes from the full parse alone).
test('the fast path agrees with the full parse', () => {
  const bases = [
    '2026-12-07T21:30:30Z', '2024-02-29T23:59:59Z', '2023-02-28T00:00:00Z', '0000-02-29T00:00:00Z', '1900-02-28T12:00:00Z',
    '2026-12-07T21:30:30.123456Z', '2026-12-07T21:30:30,5Z', '2026-12-07T21:30:30.Z', '2026-04-30T09:05:07.000000001Z',
    '2026-12-07T21:30:30+02:00', '2026-12-07T5:30:30Z', '2026-12-07T21:30:30.1.2Z',
  ];
  const chars = ['0', '1', '2', '3', '4', '5', '6', '9', '-', ':', 'T', 't', 'Z', 'z', '.', ',', '+', ' ', 'x', '\u0660'];
  const seen = new Set<string>();
  const check = (s: string) => {
    if (seen.has(s)) return;
    seen.add(s);
    assert.equal(rfc3339Error(s), parseError(s), JSON.stringify(s));
  };
  for (const b of bases) {
    check(b);
    for (let i = 0; i <= b.length; i++) {
      check(b.slice(0, i)); // truncated
      check(b.slice(0, i) + b.slice(i + 1)); // one character dropped
      for (const c of chars) {
        check(b.slice(0, i) + c + b.slice(i + 1)); // replaced
        check(b.slice(0, i) + c + b.slice(i)); // inserted
      }
    }
  }
  // Every month's last day and the day after, leap years and not.
  for (const y of ['2023', '2024', '2100', '2000']) {
    for (let m = 0; m <= 13; m++) {
      for (const day of [0, 1, 28, 29, 30, 31, 32]) check(`${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}T00:00:00Z`);
    }
  }
  for (const [h, mi, se] of [[23, 59, 59], [24, 0, 0], [0, 60, 0], [0, 0, 60], [99, 99, 99]]) {
    check(`2026-01-01T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(se).padStart(2, '0')}Z`);
  }
  assert.ok(seen.size > 10_000);
});

test('common forms are accepted and bad ones still worded by the full parse', () => {
  assert.equal(rfc3339Error('2026-12-07T21:30:30Z'), undefined);
  assert.equal(rfc3339Error('2026-12-07T21:30:30.123456Z'), undefined);
  assert.equal(rfc3339Error('2023-02-29T00:00:00Z'), 'parsing time "2023-02-29T00:00:00Z": day out of range');
  assert.equal(rfc3339Error('2026-12-07T24:00:00Z'), 'parsing time "2026-12-07T24:00:00Z": hour out of range');
  assert.equal(rfc3339Error('2026-12-07T21:30:30Zx'), 'parsing time "2026-12-07T21:30:30Zx": extra text: "x"');
});
