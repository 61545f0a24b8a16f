import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from './args.ts';
import { FLOW_CONTROL_BOOLEANS, FLOW_CONTROL_FLAGS, flowControlFromFlags } from './flowcontrol-flags.ts';

const parse = (argv: string[]) => flowControlFromFlags(parseCommand(argv, { name: 'apiserver', booleans: [...FLOW_CONTROL_BOOLEANS], flags: [...FLOW_CONTROL_FLAGS] }));

test('flow control flags: upstream defaults, overrides, negative values refused', () => {
  assert.deepEqual(parse([]), { enabled: true, maxRequestsInflight: 400, maxMutatingRequestsInflight: 200 });
  assert.deepEqual(parse(['--enable-priority-and-fairness=false', '--max-requests-inflight', '10', '--max-mutating-requests-inflight', '0']), { enabled: false, maxRequestsInflight: 10, maxMutatingRequestsInflight: 0 });
  assert.throws(() => parse(['--max-requests-inflight', '-1']), /--max-requests-inflight can not be negative value/);
  assert.throws(() => parse(['--max-mutating-requests-inflight', 'x']), /invalid --max-mutating-requests-inflight: x/);
});
