import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { ApiError } from '../errors.ts';
import { parseYamlBody } from './decode-body.ts';
import { hasDuplicateKeys } from './yaml-unique-keys.ts';

test('duplicate keys: the same verdict as the library\'s own (quadratic) check', () => {
  const docs = [
    'a: 1\nb: 2\n', 'a: 1\na: 2\n', 'a: {b: 1, b: 2}\n', 'x:\n- {c: 1}\n- c: 1\n  c: 2\n', '1: a\n"1": b\n', '1: a\n0x1: b\n',
    'true: a\n"true": b\n', 'null: a\n~: b\n', '.nan: a\n.nan: b\n', '[a]: 1\n[a]: 2\n', '? {a: 1}\n: x\n? {a: 1}\n: y\n', 'a: &x 1\n*x : 2\n',
    '- a: 1\n- a: 1\n', 'a:\n  b:\n    c: 1\n    c: 1\n', '"a": 1\n\'a\': 2\n', 'a: 1\nA: 2\n',
  ];
  for (const text of docs) {
    const lib = parseDocument(text, { uniqueKeys: true, prettyErrors: false }).errors.some((e) => e.code === 'DUPLICATE_KEY');
    assert.equal(hasDuplicateKeys(parseDocument(text, { uniqueKeys: false, prettyErrors: false })), lib, JSON.stringify(text));
  }
});

test('a body with 100,000 distinct keys is decoded (linear check); a duplicate among them is refused with the library\'s message', () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `  k${i}: v`);
  const v = parseYamlBody(`data:\n${keys.join('\n')}\n`) as { data: Record<string, string> };
  assert.equal(Object.keys(v.data).length, 100_000);
  keys.push('  k5: w');
  assert.throws(() => parseYamlBody(`data:\n${keys.join('\n')}\n`), (err: unknown) => err instanceof ApiError && err.code === 400 && err.message === 'error converting YAML to JSON: Map keys must be unique');
});
