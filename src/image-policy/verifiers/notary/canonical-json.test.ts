import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, CanonicalJsonError } from './canonical-json.ts';

const c = (v: unknown) => canonicalJson(v).toString('utf8');

test('keys sorted, no whitespace, integers as int64 digits', () => {
  assert.equal(c({ b: 1, a: [true, null, { d: 2, c: 'x' }], A: -0 }), '{"A":0,"a":[true,null,{"c":"x","d":2}],"b":1}');
  assert.equal(c({ n: 2 ** 60 }), '{"n":1152921504606846976}');
  assert.equal(c(JSON.parse('{"length": 1.0e3}')), '{"length":1000}');
});

test('strings escape only quote and backslash; control characters, <>& and non-ASCII are raw UTF-8', () => {
  assert.equal(c({ s: 'a"b\\c<>&\n\t\u0001\u2028é' }), '{"s":"a\\"b\\\\c<>&\n\t\u0001\u2028é"}');
  assert.deepEqual([...canonicalJson('é')], [0x22, 0xc3, 0xa9, 0x22]);
});

test('keys are ordered by UTF-8 bytes as Go sorts them, not by UTF-16 code units', () => {
  // UTF-16 puts U+1F600 (surrogate 0xD83D) before U+FF5E; UTF-8 puts EF BD 9E before F0 9F 98 80.
  assert.equal(c({ '\u{1F600}': 1, '\uFF5E': 2 }), '{"\uFF5E":2,"\u{1F600}":1}');
});

test('fractions, NaN and out-of-range numbers cannot be canonical', () => {
  assert.throws(() => canonicalJson({ v: 1.5 }), CanonicalJsonError);
  assert.throws(() => canonicalJson({ v: Number.NaN }), CanonicalJsonError);
  assert.throws(() => canonicalJson({ v: 2 ** 64 }), CanonicalJsonError);
});
