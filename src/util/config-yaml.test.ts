import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigYaml } from './config-yaml.ts';

const SECRET = 'c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==';

test('a parse error names the line and the reason, and quotes nothing of the file', () => {
  const cases = [
    // A mapping in a compact mapping on the key's line.
    [`a:\n  keys:\n    - name: k\n      secret: ${SECRET}: x\n`, 4],
    // A duplicate key (uniqueKeys) on the second line holding the secret.
    [`secret: ${SECRET}\nsecret: ${SECRET}\n`, 2],
    // An unterminated flow sequence.
    [`x: 1\nsecret: [${SECRET}\n`, 3],
  ] as const;
  for (const [text, line] of cases) {
    assert.throws(() => parseConfigYaml(text, { uniqueKeys: true }), (err: Error) => {
      assert.match(err.message, new RegExp(`^yaml: line ${line}: `), err.message);
      assert.ok(!err.message.includes(SECRET.slice(0, 12)), err.message);
      return true;
    });
  }
});

test('a good file parses as the yaml library does', () => {
  assert.deepEqual(parseConfigYaml('a: [1, 2]\nb: {c: d}\n'), { a: [1, 2], b: { c: 'd' } });
});
