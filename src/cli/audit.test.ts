import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogBackend } from '../audit/log-backend.ts';
import { ensureAuditSigningKey } from '../audit/signing-key.ts';
import { runAudit } from './audit.ts';

test('audit verify: OK for a whole rotated log, exit 1 naming file:line and auditID after an edit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
  try {
    const path = join(dir, 'audit.log');
    // Written by the worker thread, with the wall clock's backup names.
    const b = new LogBackend({ path, signingKey: ensureAuditSigningKey(dir), maxSizeBytes: 1500, checkpointEvery: 4 });
    for (let i = 0; i < 12; i++) b.processEvents([{ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `a${i}`, stage: 'ResponseComplete', requestURI: '/api', verb: 'get', user: { username: 'u' }, requestReceivedTimestamp: 't', stageTimestamp: 't' }]);
    await b.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('audit')).map((f) => join(dir, f));
    assert.ok(files.length > 1);
    let out = '';
    let err = '';
    assert.equal(await runAudit(['verify', '--data-dir', dir, ...files], (s) => (out += s), (s) => (err += s)), 0);
    assert.match(out, /^OK: 12 records, \d+ signed checkpoints, \d+ file\(s\) in order/);
    const victim = files.find((f) => readFileSync(f, 'utf8').includes('"a7"'))!;
    const text = readFileSync(victim, 'utf8');
    writeFileSync(victim, text.replace('"a7","stage":"ResponseComplete"', '"a7","stage":"ResponseCompletf"'));
    const line = text.split('\n').findIndex((l) => l.includes('"a7"')) + 1;
    assert.equal(await runAudit(['verify', '--key', join(dir, 'pki', 'audit-signing.pub'), ...files], (s) => (out += s), (s) => (err += s)), 1);
    assert.ok(err.startsWith(`${victim}:${line}: auditID a7: record was altered`), err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('audit verify refuses to run without a key', async () => {
  await assert.rejects(runAudit(['verify', '--data-dir', '/nonexistent-dir', 'x.log'], () => {}, () => {}), /no audit public key/);
  await assert.rejects(runAudit(['check'], () => {}, () => {}), /usage: portcullis audit verify/);
});
