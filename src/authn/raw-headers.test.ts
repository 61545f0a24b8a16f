import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteRawHeaders, hasControlChars, headerValues, rawHeaderMap, unescapeExtraKey } from './raw-headers.ts';

test('rawHeaderMap keeps every line, lowercased, in order', () => {
  assert.deepEqual({ ...rawHeaderMap(['X-Remote-Group', 'a', 'x-remote-group', 'b, c', 'Host', 'h']) }, { 'x-remote-group': ['a', 'b, c'], host: ['h'] });
});

test('headerValues reads strings, arrays and absence alike', () => {
  assert.deepEqual(headerValues({ a: 'x', b: ['y', 'z'] }, 'A'), ['x']);
  assert.deepEqual(headerValues({ b: ['y', 'z'] }, 'b'), ['y', 'z']);
  assert.deepEqual(headerValues({}, 'c'), []);
});

test('deleteRawHeaders removes matching pairs in place', () => {
  const raw = ['Authorization', 'Bearer t', 'Accept', '*/*', 'X-Remote-User', 'a', 'Host', 'h'];
  deleteRawHeaders(raw, (n) => n === 'authorization' || n.startsWith('x-remote-'));
  assert.deepEqual(raw, ['Accept', '*/*', 'Host', 'h']);
});

const keys: [string, string][] = [
  ['scopes', 'scopes'],
  ['acme.com%2fproject', 'acme.com/project'],
  ['100%', '100%'], // not valid encoding: kept as sent
  ['a+b', 'a+b'],
];
for (const [enc, want] of keys) {
  test(`unescapeExtraKey ${enc}`, () => assert.equal(unescapeExtraKey(enc), want));
}

test('hasControlChars flags CR, LF and NUL but not tab or text', () => {
  assert.deepEqual(['a\r', 'a\n', 'a\u0000', 'a\tb', 'plain'].map(hasControlChars), [true, true, true, false, false]);
});
