import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanDuration, since } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches apimachinery duration.HumanDuration', () => {
  const cases: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-1999, '0s'],
    [-1 * S, '0s'],
    [0, '0s'],
    [999, '0s'],
    [45 * S, '45s'],
    [90 * S, '90s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 30 * S, '5m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [2 * H + 5 * M, '125m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [3 * D + 5 * H, '3d5h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D + 40 * D, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('since: absent or malformed times are <unknown>', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(since('2024-05-01T11:55:00Z', now), '5m');
  assert.equal(since('2024-05-01T11:59:59.5Z', now), '0s');
  assert.equal(since(undefined, now), '<unknown>');
  assert.equal(since('yesterday', now), '<unknown>');
});
