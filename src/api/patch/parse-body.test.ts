import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nestingDepth, parsePatchBody } from './parse-body.ts';

describe('nestingDepth', () => {
  const table: [string, number][] = [
    ['1', 0],
    ['{}', 1],
    ['[[],[[]]]', 3],
    ['{"a":{"b":[1]}}', 3],
    ['"[[[[{{{{"', 0], // brackets inside strings do not count
    ['["\\"[[["]', 1], // nor after an escaped quote
    ['{"a\\\\":[[1]]}', 3], // an escaped backslash ends the escape
  ];
  for (const [text, depth] of table) {
    test(`${text} → ${depth}`, () => assert.equal(nestingDepth(text), depth));
  }
});

describe('parsePatchBody', () => {
  test('parses a Buffer', () => assert.deepEqual(parsePatchBody(Buffer.from('{"a":[1]}')), { ok: true, value: { a: [1] } }));
  test('reports empty input as Go does', () => assert.deepEqual(parsePatchBody('  '), { ok: false, message: 'unexpected end of JSON input' }));
  test('reports a syntax error', () => {
    const r = parsePatchBody('{oops}');
    assert.equal(r.ok, false);
  });
  test('honours a custom depth limit', () => assert.throws(() => parsePatchBody('[[1]]', 1)));
});
