import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { ApiError } from '../errors.ts';
import { parseYamlBody } from './decode-body.ts';
import { exceedsDepthIterative } from './depth.ts';
import { yamlMayExceedDepth } from './yaml-depth.ts';

const TOO_DEEP = 'the request body is nested deeper than the maximum depth of 100';

function refused(text: string): ApiError {
  try {
    parseYamlBody(text);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('accepted');
}

test('a body nested far too deep is refused with the JSON bound message, before the library recurses (no stack-overflow text)', () => {
  const n = 1_000_000;
  for (const body of ['a: ' + '['.repeat(n) + ']'.repeat(n), 'a: ' + '{a: '.repeat(n) + '1' + '}'.repeat(n), '- '.repeat(n) + 'x\n', 'a: ' + '['.repeat(n), '? '.repeat(n) + 'x\n']) {
    const err = refused(body);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.equal(err.message, TOO_DEEP);
  }
  let blocks = '';
  for (let i = 0; i < 2000; i++) blocks += ' '.repeat(i) + 'a:\n';
  assert.equal(refused(blocks).message, TOO_DEEP);
  // Between the bound and the pre-check's: composed, then refused by the exact walk.
  assert.equal(refused('a: ' + '['.repeat(150) + ']'.repeat(150)).message, TOO_DEEP);
});

test('brackets inside scalars and comments do not count; shallow bodies with many of them are accepted', () => {
  const brackets = '[{'.repeat(5000);
  const doc = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: x, annotations: {a: "' + brackets + '", b: \'' + brackets + "'}}",
    '# ' + brackets,
    'data:',
    '  dashboard.json: |',
    ...Array.from({ length: 2000 }, (_, i) => '    ' + ' '.repeat(i % 40) + '{"k": [' + i + ', {"x": ['),
    '  plain: a[b{c ' + brackets,
    '  folded: >-',
    '    ' + brackets,
    '  after: y',
  ].join('\n') + '\n';
  assert.equal(yamlMayExceedDepth(doc, 10), false);
  const v = parseYamlBody(doc) as Record<string, any>;
  assert.equal(v.data.after, 'y');
  assert.equal(v.metadata.annotations.a, brackets);
});

/** Real nesting depth of the composed value. */
function depthOf(text: string): number {
  const v = parseDocument(text).toJS();
  let d = 0;
  while (exceedsDepthIterative(v, d)) d++;
  return d;
}

test('the estimate is never below the real depth, and at most about twice it, on many block and flow shapes', () => {
  const docs: string[] = [];
  for (let n = 1; n <= 30; n++) {
    let maps = '';
    let seqMaps = '';
    let sameColumn = '';
    for (let i = 0; i < n; i++) {
      maps += ' '.repeat(2 * i) + `k${i}:\n`;
      seqMaps += ' '.repeat(2 * i) + `- k${i}:\n`;
      sameColumn += ' '.repeat(2 * i) + `k${i}:\n` + ' '.repeat(2 * i) + '- x\n' + ' '.repeat(2 * i) + `- m${i}:\n`;
    }
    docs.push(maps + ' '.repeat(2 * n) + 'v: 1\n', seqMaps + ' '.repeat(2 * n + 2) + 'v: 1\n', sameColumn + ' '.repeat(2 * n + 2) + 'v: 1\n');
    docs.push('- '.repeat(n) + 'x\n', 'a: ' + '[1, '.repeat(n) + ']'.repeat(n) + '\n', 'a:\n  - ' + '{b: '.repeat(n) + '1' + '}'.repeat(n) + '\n');
    docs.push('a:\n' + '  - '.repeat(1) + '- '.repeat(n) + '{c: [d]}\n', `a: |\n  text\nb:\n${'  '.repeat(1)}- ${'- '.repeat(n)}[[x]]\n`);
  }
  for (const doc of docs) {
    const real = depthOf(doc);
    assert.equal(yamlMayExceedDepth(doc, real - 1), true, `under-counted (${real}): ${JSON.stringify(doc.slice(0, 80))}`);
    assert.equal(yamlMayExceedDepth(doc, 2 * real + 2), false, `over-counted (${real}): ${JSON.stringify(doc.slice(0, 80))}`);
  }
});
