import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { LogBackend } from './log-backend.ts';
import type { StdoutSink } from './chain-writer.ts';
import { ensureAuditSigningKey } from './signing-key.ts';
import { verifyFiles } from './verify.ts';
import type { AuditEvent } from './types.ts';

function event(i: number): AuditEvent {
  return { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `id-${i}`, stage: 'ResponseComplete', requestURI: `/api/v1/namespaces/default/configmaps/c${i}`, verb: 'get', user: { username: 'alice' }, requestReceivedTimestamp: '2026-12-06T00:00:00.000000Z', stageTimestamp: '2026-12-06T00:00:00.000100Z' };
}

/** A standard output that takes each write at once. */
function sink(take: (s: string) => unknown): StdoutSink {
  return { write: (s, cb) => (take(s), cb(), true) };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const thread of ['worker', 'main'] as const) {
  const on = ` (writer on the ${thread} thread)`;

  test(`records are JSON lines of audit.k8s.io/v1 Events carrying the chain annotations${on}`, async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const b = new LogBackend({ path, signingKey: ensureAuditSigningKey(dir), checkpointEvery: 2, thread });
      b.processEvents([event(1), event(2), event(3)]);
      await b.close();
      const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      // 3 events, a checkpoint after the second, and one at close covering the third.
      assert.deepEqual(lines.map((l) => l.kind), ['Event', 'Event', 'AuditCheckpoint', 'Event', 'AuditCheckpoint']);
      assert.equal(lines[0].annotations['audit.portcullis.dev/prev-hash'], '0'.repeat(64));
      assert.equal(lines[1].annotations['audit.portcullis.dev/prev-hash'], lines[0].annotations['audit.portcullis.dev/hash']);
      assert.deepEqual(Object.keys(lines[0]).slice(-3), ['requestReceivedTimestamp', 'stageTimestamp', 'annotations']);
      const r = verifyFiles([path], ensureAuditSigningKey(dir).publicKey);
      assert.equal(r.broken, undefined);
      assert.equal(r.records, 3);
      assert.equal(r.checkpoints, 2);
      assert.deepEqual(b.stats(), { events: 3, dropped: 0, errors: 0 });
    });
  });

  test(`a rotated log verifies across its files, and one edited byte in the middle record is named${on}`, async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const key = ensureAuditSigningKey(dir);
      let t = Date.UTC(2026, 11, 6);
      // The worker names backups by the wall clock (a clock cannot cross to it).
      const b = new LogBackend({ path, signingKey: key, checkpointEvery: 5, maxSizeBytes: 2000, thread, ...(thread === 'main' ? { now: () => (t += 1000) } : {}) });
      for (let i = 0; i < 30; i++) b.processEvents([event(i)]);
      await b.close();
      const files = readdirSync(dir).filter((f) => f.startsWith('audit')).map((f) => join(dir, f));
      assert.ok(files.length >= 4, `rotated into ${files.length} files`);
      // Files in any order.
      const shuffled = [...files].reverse();
      const ok = verifyFiles(shuffled, key.publicKey);
      assert.equal(ok.broken, undefined, JSON.stringify(ok.broken));
      assert.equal(ok.records, 30);
      // Edit one byte of the record with auditID id-15 (the username's first letter).
      const victim = files.find((f) => readFileSync(f, 'utf8').includes('"id-15"'))!;
      const text = readFileSync(victim, 'utf8');
      const lineNo = text.split('\n').findIndex((l) => l.includes('"id-15"')) + 1;
      const pos = text.indexOf('"alice"', text.indexOf('"id-15"')) + 1;
      writeFileSync(victim, `${text.slice(0, pos)}A${text.slice(pos + 1)}`);
      const bad = verifyFiles(shuffled, key.publicKey);
      assert.deepEqual(bad.broken, { file: victim, line: lineNo, auditID: 'id-15', reason: 'record was altered: its content does not match its hash' });
    });
  });

  test(`a restart continues the chain of the existing file; removing a record is caught at the next one${on}`, async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const key = ensureAuditSigningKey(dir);
      for (const round of [0, 1]) {
        const b = new LogBackend({ path, signingKey: key, thread });
        b.processEvents([event(round * 10), event(round * 10 + 1), event(round * 10 + 2)]);
        await b.close();
      }
      assert.equal(verifyFiles([path], key.publicKey).broken, undefined);
      const lines = readFileSync(path, 'utf8').split('\n');
      lines.splice(1, 1);
      writeFileSync(path, lines.join('\n'));
      const r = verifyFiles([path], key.publicKey);
      assert.equal(r.broken?.line, 2);
      assert.equal(r.broken?.auditID, 'id-2');
      assert.match(r.broken!.reason, /chain broken/);
    });
  });

  test(`a rewritten tail with recomputed hashes is caught by the checkpoint signature${on}`, async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const key = ensureAuditSigningKey(dir);
      const b = new LogBackend({ path, signingKey: key, thread });
      b.processEvents([event(1), event(2)]);
      await b.close();
      // Forge: a different key signs a rewritten log.
      const other = join(dir, 'other');
      const forged = new LogBackend({ path: join(dir, 'forged.log'), signingKey: ensureAuditSigningKey(other), thread });
      forged.processEvents([event(1), event(2)]);
      await forged.close();
      const r = verifyFiles([join(dir, 'forged.log')], key.publicKey);
      assert.match(r.broken?.reason ?? '', /another key/);
    });
  });

  test(`a full queue drops events before they are chained, counts them, and the chain stays whole${on}`, async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'audit.log');
      const b = new LogBackend({ path, maxQueueBytes: 1, thread });
      // Synchronously: the writer has not run, so the second event finds the queue over its bound.
      b.processEvents([event(1), event(2), event(3)]);
      await b.close();
      assert.deepEqual(b.stats(), { events: 1, dropped: 2, errors: 0 });
      assert.equal(verifyFiles([path], undefined).broken, undefined);
    });
  });
}

test("'-' writes the chained lines to standard output; a timer signs records not yet covered", async () => {
  await withDir(async (dir) => {
    let out = '';
    const b = new LogBackend({ path: '-', stdout: sink((s) => (out += s)), signingKey: ensureAuditSigningKey(dir), checkpointIntervalMs: 10 });
    b.processEvents([event(1)]);
    for (let i = 0; i < 200 && !out.includes('AuditCheckpoint'); i++) await new Promise((r) => setTimeout(r, 10));
    const kinds = out.trim().split('\n').map((l) => JSON.parse(l).kind);
    assert.deepEqual(kinds, ['Event', 'AuditCheckpoint']);
    await b.close();
    // Nothing new since the timer's checkpoint: close adds none.
    assert.equal(out.trim().split('\n').length, 2);
    writeFileSync(join(dir, 'stdout.log'), out);
    assert.equal(verifyFiles([join(dir, 'stdout.log')], ensureAuditSigningKey(dir).publicKey).broken, undefined);
  });
});

test("'-': what a stalled standard output has not taken stays inside the queue bound; past it events are dropped, not buffered", async () => {
  // A pipe whose reader stopped: the stream takes every write and holds it in memory.
  const held: Array<() => void> = [];
  const stdout = new Writable({ highWaterMark: 1024, write: (_chunk, _enc, cb) => void held.push(cb) });
  const maxQueueBytes = 64 * 1024;
  const b = new LogBackend({ path: '-', stdout, maxQueueBytes, writeDelayMs: 0 });
  for (let i = 0; i < 2000; i++) b.processEvents([event(i)]);
  const one = JSON.stringify(event(0)).length + 200;
  assert.ok(b.stats().dropped > 0, 'events past the bound are dropped');
  assert.ok(stdout.writableLength <= maxQueueBytes + one + 200 * (b.stats().events + 1), `the stream holds ${stdout.writableLength} bytes for a ${maxQueueBytes}-byte bound`);
  // The reader catches up: what was held is written, and the bound is free again.
  const flushed = b.flush();
  while (held.length > 0) {
    held.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  await flushed;
  const { events, dropped } = b.stats();
  b.processEvents([event(2001)]);
  assert.deepEqual(b.stats(), { events: events + 1, dropped, errors: 0 });
  const closed = b.close();
  while (held.length > 0 || stdout.writableLength > 0) {
    held.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await closed;
});

test('a line cut short by a crash: the restarted writer starts a new line chained onto it, and verify reports it without failing', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'audit.log');
    const key = ensureAuditSigningKey(dir);
    const first = new LogBackend({ path, signingKey: key });
    first.processEvents([event(1), event(2)]);
    await first.close();
    // The crash: half of a third record written, no newline.
    const cut = readFileSync(path, 'utf8').split('\n')[0]!.slice(0, 60);
    writeFileSync(path, readFileSync(path, 'utf8') + cut);
    const second = new LogBackend({ path, signingKey: key });
    second.processEvents([event(3)]);
    await second.close();
    const r = verifyFiles([path], key.publicKey);
    assert.equal(r.broken, undefined, JSON.stringify(r.broken));
    assert.deepEqual(r.cutLines, [{ file: path, line: 4 }]);
    assert.equal(r.records, 3);
    // Cutting a record that something already chained onto is still a break.
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[0] = lines[0]!.slice(0, 80);
    writeFileSync(path, lines.join('\n'));
    assert.equal(verifyFiles([path], key.publicKey).broken?.line, 1);
  });
});

test('records wait for the write delay to share one write; flush and close do not wait for it', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'audit.log');
    const writes: string[] = [];
    const out = new LogBackend({ path: '-', stdout: sink((s) => writes.push(s)), writeDelayMs: 60_000 });
    out.processEvents([event(1)]);
    out.processEvents([event(2)]);
    await new Promise((r) => setImmediate(r));
    assert.equal(writes.length, 0, 'nothing is written before the delay');
    await out.flush();
    assert.equal(writes.length, 1, 'both records in one write');
    assert.equal(writes[0]!.trim().split('\n').length, 2);
    // A file: close writes what waits, without waiting the minute.
    const b = new LogBackend({ path, writeDelayMs: 60_000 });
    b.processEvents([event(1), event(2), event(3)]);
    await b.close();
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 3);
    assert.equal(verifyFiles([path], undefined).broken, undefined);
  });
});

test('the bound counts records handed to the worker until it reports them written', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'audit.log');
    const b = new LogBackend({ path, maxQueueBytes: 1, writeDelayMs: 0 });
    // Sent to the worker at once, but not yet written: the next event finds the bound reached.
    b.processEvents([event(1)]);
    b.processEvents([event(2)]);
    assert.deepEqual(b.stats(), { events: 1, dropped: 1, errors: 0 });
    await b.flush();
    // Written: the bound is free again.
    b.processEvents([event(3)]);
    await b.close();
    assert.deepEqual(b.stats(), { events: 2, dropped: 1, errors: 0 });
    const r = verifyFiles([path], undefined);
    assert.equal(r.broken, undefined);
    assert.equal(r.records, 2);
    assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).auditID), ['id-1', 'id-3']);
  });
});

test("the worker's failed writes are counted as errors and logged on the server's logger", async () => {
  await withDir(async (dir) => {
    const logged: string[] = [];
    const log = { error: (_o: object, msg?: string) => void logged.push(msg ?? ''), warn: () => {} };
    // The directory does not exist: the worker cannot open the file.
    const b = new LogBackend({ path: join(dir, 'missing', 'audit.log'), log: log as never });
    b.processEvents([event(1), event(2)]);
    await b.close();
    assert.deepEqual(b.stats(), { events: 2, dropped: 0, errors: 2 });
    assert.ok(logged.includes('audit log write failed'), JSON.stringify(logged));
    // After close, events are dropped and counted, not lost silently.
    b.processEvents([event(3)]);
    assert.deepEqual(b.stats(), { events: 2, dropped: 1, errors: 2 });
  });
});

test('an injected clock is refused with the worker (it cannot cross threads)', () => {
  assert.throws(() => new LogBackend({ path: '/nonexistent/audit.log', now: () => 0 }), /needs thread 'main'/);
});

test('the worker holds a process open only while records are unwritten: they are written without a close, and close resolves', async () => {
  await withDir(async (dir) => {
    const mod = fileURLToPath(new URL('./log-backend.ts', import.meta.url));
    for (const close of [false, true]) {
      const path = join(dir, `audit-${close}.log`);
      const script = `import { LogBackend } from ${JSON.stringify(mod)};
const b = new LogBackend({ path: ${JSON.stringify(path)} });
b.processEvents([${JSON.stringify(event(1))}, ${JSON.stringify(event(2))}]);
${close ? "await b.close(); console.log('closed');" : ''}`;
      writeFileSync(join(dir, 'script.mjs'), script);
      const r = spawnSync(process.execPath, [...process.execArgv, join(dir, 'script.mjs')], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      if (close) assert.equal(r.stdout.trim(), 'closed');
      assert.equal(verifyFiles([path], undefined).records, 2);
    }
  });
});
