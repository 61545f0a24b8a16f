import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, isValidKey, prefixEnd } from './key-range.ts';

const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

test('compareKeys agrees with UTF-8 byte order (what SQLite and etcd use)', () => {
  const cases: Array<[string, string]> = [
    ['a', 'b'],
    ['a', 'ab'],
    ['', 'a'],
    ['same', 'same'],
    ['/a/b', '/a/b/'],
    ['\uffff', '\u{10000}'], // UTF-16 units say the opposite
    ['\ue000', '😀'],
    ['😀', '😁'],
    ['é', '～'],
    ['x\u{10ffff}', 'x\uffef'],
  ];
  for (const [a, b] of cases) {
    assert.equal(Math.sign(compareKeys(a, b)), utf8Order(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(Math.sign(compareKeys(b, a)), utf8Order(b, a), `${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  }
});

test('prefixEnd is the first key past the prefix range', () => {
  const cases: Array<[string, string | undefined]> = [
    ['/a/b/', '/a/b0'],
    ['/a/b', '/a/c'],
    ['a', 'b'],
    ['', undefined],
    ['\u{10ffff}', undefined],
    ['a\u{10ffff}', 'b'],
    ['\ud7ff', '\ue000'], // skips the surrogate block
    ['x\uffff', 'x\u{10000}'],
  ];
  for (const [prefix, want] of cases) assert.equal(prefixEnd(prefix), want, JSON.stringify(prefix));
});

test('every key with the prefix sorts inside [prefix, prefixEnd)', () => {
  const prefix = '/r/ns/';
  const end = prefixEnd(prefix) as string;
  for (const k of ['/r/ns/', '/r/ns/a', '/r/ns/\u{10ffff}\u{10ffff}', '/r/ns/😀']) {
    assert.ok(compareKeys(k, prefix) >= 0 && compareKeys(k, end) < 0, k);
  }
  for (const k of ['/r/ns', '/r/ns0', '/r/nt/', '/r/n']) {
    assert.ok(compareKeys(k, prefix) < 0 || compareKeys(k, end) >= 0, k);
  }
});

test('isValidKey rejects empty keys and lone surrogates', () => {
  const cases: Array<[unknown, boolean]> = [
    ['/a', true],
    ['😀', true],
    ['', false],
    ['a\ud800', false],
    ['\udc00b', false],
    [42, false],
  ];
  for (const [key, want] of cases) assert.equal(isValidKey(key), want, JSON.stringify(key));
});
