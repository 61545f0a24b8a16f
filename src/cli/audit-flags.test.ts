import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from './args.ts';
import { AUDIT_FLAGS, auditFromFlags } from './audit-flags.ts';

const parse = (argv: string[]) => auditFromFlags(parseCommand(argv, { name: 'up', flags: [...AUDIT_FLAGS] }));

test('no --audit-* flag: no audit', () => {
  assert.equal(parse([]), undefined);
});

test("kube-apiserver's --audit-* flags map onto the audit options, with upstream's defaults", () => {
  assert.deepEqual(parse(['--audit-policy-file', '/p.yaml', '--audit-log-path=/var/log/audit.log', '--audit-log-maxsize', '10', '--audit-log-maxbackup=3', '--audit-log-maxage', '7', '--audit-webhook-config-file', '/w.yaml', '--audit-webhook-batch-max-wait', '5s']), {
    policyFile: '/p.yaml',
    logPath: '/var/log/audit.log',
    logFormat: 'json',
    logMaxAgeDays: 7,
    logMaxBackups: 3,
    logMaxSizeMB: 10,
    webhookConfigFile: '/w.yaml',
    webhookBatchMaxSize: 400,
    webhookBatchMaxWaitMs: 5000,
    webhookBatchBufferSize: 10000,
  });
});

test('bad numbers and durations are refused by flag name', () => {
  assert.throws(() => parse(['--audit-log-maxsize', '-1']), /--audit-log-maxsize/);
  assert.throws(() => parse(['--audit-log-maxbackup', 'many']), /--audit-log-maxbackup/);
  assert.throws(() => parse(['--audit-webhook-batch-max-wait', '5']), /--audit-webhook-batch-max-wait/);
});
