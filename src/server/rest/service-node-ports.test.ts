import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortRange } from './service-node-ports.ts';

test('--service-node-port-range: LOW-HIGH or one port; anything else is refused', () => {
  assert.deepEqual(parsePortRange('30000-32767'), { base: 30000, size: 2768 });
  assert.deepEqual(parsePortRange('31000'), { base: 31000, size: 1 });
  for (const bad of ['', '0-10', '32767-30000', '30000-70000', 'a-b', '30000-']) assert.throws(() => parsePortRange(bad), /invalid port range/, bad);
});
