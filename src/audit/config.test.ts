import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildAuditor } from './config.ts';

const log = pino({ level: 'silent' });

test('half a configuration stops the start; a bad policy file is named; legacy format refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-cfg-'));
  try {
    assert.equal(buildAuditor(undefined, dir, log), undefined);
    assert.equal(buildAuditor({}, dir, log), undefined);
    assert.throws(() => buildAuditor({ logPath: join(dir, 'a.log') }, dir, log), /need --audit-policy-file/);
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n');
    assert.throws(() => buildAuditor({ policyFile }, dir, log), /needs --audit-log-path or --audit-webhook-config-file/);
    assert.throws(() => buildAuditor({ policyFile, logPath: join(dir, 'a.log'), logFormat: 'legacy' }, dir, log), /--audit-log-format "legacy" is not supported/);
    writeFileSync(policyFile, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Sometimes\n');
    assert.throws(() => buildAuditor({ policyFile, logPath: join(dir, 'a.log') }, dir, log), new RegExp(`audit policy file ${policyFile}: rules\\[0\\]\\.level: Unsupported value`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a log backend is built with the cluster signing key generated into pki/', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-cfg-'));
  try {
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, '{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Metadata"}]}');
    const a = buildAuditor({ policyFile, logPath: join(dir, 'a.log') }, dir, log)!;
    assert.deepEqual(a.backends.map((b) => b.name), ['log']);
    assert.deepEqual(a.stats(), { log: { events: 0, dropped: 0, errors: 0 } });
    await a.close();
    const { statSync } = await import('node:fs');
    assert.equal(statSync(join(dir, 'pki', 'audit-signing.key')).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
