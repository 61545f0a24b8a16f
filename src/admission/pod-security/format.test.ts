import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { goQuote, joinQuote, pluralize } from './format.ts';

test('goQuote matches Go strconv.Quote', () => {
  const cases: Array<[string, string]> = [
    ['', '""'],
    ['runtime/default', '"runtime/default"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['\n\t\x00\x7f', '"\\n\\t\\x00\\x7f"'],
    ['héllo ☃', '"héllo ☃"'],
    ['\u00a0\u2028', '"\\u00a0\\u2028"'],
    ['😀', '"😀"'],
  ];
  for (const [input, want] of cases) assert.equal(goQuote(input), want, JSON.stringify(input));
});

test('joinQuote and pluralize', () => {
  assert.equal(joinQuote([]), '');
  assert.equal(joinQuote(['a']), '"a"');
  assert.equal(joinQuote(['a', 'b']), '"a", "b"');
  assert.equal(pluralize('container', 'containers', 1), 'container');
  assert.equal(pluralize('container', 'containers', 0), 'containers');
});
