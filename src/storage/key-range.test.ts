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

test('prefixEnd agrees with the code-point definition on random prefixes (fast path and general path)', () => {
  // The definition: drop trailing U+10FFFF, then bump the last code point (skipping surrogates).
  const reference = (prefix: string): string | undefined => {
    const points = Array.from(prefix, (c) => c.codePointAt(0)!);
    while (points.length > 0) {
      const last = points.pop()!;
      if (last < 0x10ffff) return String.fromCodePoint(...points, last + 1 === 0xd800 ? 0xe000 : last + 1);
    }
    return undefined;
  };
  const alphabet = ['a', '/', '-', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', '😀', 'é'];
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const p = Array.from({ length: Math.floor(next() * 5) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    assert.equal(prefixEnd(p), reference(p), JSON.stringify(p));
  }
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
