import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteRawHeaders, hasControlChars, HeaderEncodingError, headerValues, identityHeaderValues, rawHeaderMap, unescapeExtraKey, utf8HeaderValue } from './raw-headers.ts';

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

/** What Node's HTTP parser hands over for these UTF-8 bytes: one Latin-1 character per byte. */
const wire = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

const utf8Cases: [string, string, string | RegExp][] = [
  ['ASCII unchanged', 'alice', 'alice'],
  ['two-byte sequence', wire('jörg'), 'jörg'],
  ['three-byte sequences', wire('日本'), '日本'],
  ['four-byte sequence', wire('a😀'), 'a😀'],
  ['a BOM is kept, as Go keeps it', wire('\uFEFFx'), '\uFEFFx'],
  ['a lone Latin-1 byte is not UTF-8', 'j\xf6rg', /invalid UTF-8/],
  ['an overlong encoding is not UTF-8', '\xc0\xaf', /invalid UTF-8/],
  ['a truncated sequence is not UTF-8', wire('日').slice(0, 2), /invalid UTF-8/],
  ['characters above U+00FF cannot come from the parser', '日本', /not a byte string/],
];
for (const [name, input, want] of utf8Cases) {
  test(`utf8HeaderValue: ${name}`, () => {
    if (typeof want === 'string') assert.equal(utf8HeaderValue(input), want);
    else assert.throws(() => utf8HeaderValue(input), want);
  });
}

test('identityHeaderValues decodes every line and names the header on failure', () => {
  const headers = rawHeaderMap(['X-Remote-Group', wire('開発'), 'X-Remote-Group', 'ops', 'X-Bad', '\xff']);
  assert.deepEqual(identityHeaderValues(headers, 'X-Remote-Group'), ['開発', 'ops']);
  assert.throws(() => identityHeaderValues(headers, 'x-bad'), (e: Error) => e instanceof HeaderEncodingError && /x-bad: invalid UTF-8/.test(e.message));
});
