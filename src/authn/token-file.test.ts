import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenFile, parseTokenFile, TokenFileAuthenticator, TokenFileError } from './token-file.ts';
import { BearerTokenAuthenticator } from './bearer.ts';
import { UnionAuthenticator } from './union.ts';
import { AnonymousAuthenticator } from './anonymous.ts';
import type { AuthnResult } from './types.ts';

const FILE = [
  'secret-1,alice,uid-1,"dev,ops"',
  'secret-2,bob,uid-2',
  'secret-3,carol,,',
  'secret-4,dave,uid-4,solo,ignored-column',
].join('\n');

const who = (r: AuthnResult): string =>
  r.kind === 'authenticated' ? `${r.user.username}|${r.user.uid ?? ''}|${r.user.groups.join(';')}` : r.kind;

function tempFile(text: string): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tokenfile-'));
  const path = join(dir, 'tokens.csv');
  writeFileSync(path, text);
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const lookups: { token: string; want: string }[] = [
  { token: 'secret-1', want: 'alice|uid-1|dev;ops' },
  { token: 'secret-2', want: 'bob|uid-2|' },
  { token: 'secret-3', want: 'carol||' },
  { token: 'secret-4', want: 'dave|uid-4|solo' },
  { token: 'secret-', want: 'no-opinion' },
  { token: 'SECRET-1', want: 'no-opinion' },
  { token: 'alice', want: 'no-opinion' },
];
for (const c of lookups) {
  test(`token file lookup ${JSON.stringify(c.token)}`, async () => {
    const f = tempFile(FILE);
    try {
      const a = new TokenFileAuthenticator({ path: f.path, log: { warn() {}, error() {} } });
      assert.equal(who(await a.authenticateToken(c.token)), c.want);
    } finally {
      f.done();
    }
  });
}

test('tokens are held only as digests', () => {
  const t = parseTokenFile(FILE, 'x');
  for (const [k, e] of t.entries) {
    assert.equal(k.length, 64);
    assert.ok(!JSON.stringify(e.user).includes('secret'));
  }
});

const malformed: { name: string; text: string; msg: RegExp }[] = [
  { name: 'too few columns', text: 'a,b,c\nd,e\n', msg: /at least 3 columns .* found 2 on line 2/ },
  { name: 'bare quote', text: 'a,b,c\nd,e"x,f\n', msg: /line 2, column 4: bare "/ },
  { name: 'empty user name', text: '\n\ntok,,uid\n', msg: /empty user name on line 3/ },
  { name: 'a comment line is not special', text: '# tokens\n', msg: /found 1 on line 1/ },
];
for (const c of malformed) {
  test(`malformed token file: ${c.name}`, () => {
    assert.throws(() => parseTokenFile(c.text, '/etc/tokens.csv'), (e: unknown) => e instanceof TokenFileError && c.msg.test(e.message) && e.message.includes('/etc/tokens.csv'));
  });
}

test('missing file at start is an error', () => {
  assert.throws(() => loadTokenFile('/nonexistent/tokens.csv'), TokenFileError);
});

test('empty and duplicate tokens warn, last duplicate wins (upstream)', async () => {
  const t = parseTokenFile(',nobody,1\ndup,first,1\ndup,second,2\n', 'f');
  assert.deepEqual(t.warnings, [
    "empty token has been found in token file 'f', record number '1'",
    "duplicate token has been found in token file 'f', record number '3'",
  ]);
  assert.equal(t.entries.size, 1);
  assert.equal([...t.entries.values()][0]!.user.username, 'second');
});

test('reloads on change after the interval; a broken or unreadable file authenticates nobody until it is valid again', async () => {
  const f = tempFile('old,alice,1\n');
  let now = 0;
  const warnings: string[] = [];
  const errors: string[] = [];
  try {
    const log = { warn: (_o: object, m: string) => warnings.push(m), error: (_o: object, m: string) => errors.push(m) };
    const a = new TokenFileAuthenticator({ path: f.path, now: () => new Date(now), checkIntervalMs: 1000, log });
    assert.equal(who(await a.authenticateToken('old')), 'alice|1|');

    writeFileSync(f.path, 'new,bob,2\n');
    now = 500; // within the interval: not re-read yet
    assert.equal(who(await a.authenticateToken('new')), 'no-opinion');
    now = 1000;
    assert.equal(who(await a.authenticateToken('new')), 'bob|2|');
    assert.equal(who(await a.authenticateToken('old')), 'no-opinion');

    // The edit that breaks the file may be the one that removed a token: fail closed.
    writeFileSync(f.path, 'broken,"x\n');
    now = 2000;
    assert.equal(who(await a.authenticateToken('new')), 'no-opinion');
    assert.equal(a.size, 0);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /no token from it authenticates until it is valid again/);
    now = 3000; // the same bad content is not logged again
    await a.authenticateToken('new');
    assert.equal(errors.length, 1);

    writeFileSync(f.path, 'new,bob,2\n');
    assert.equal(await a.reload(), 'reloaded', 'the last good content is good again');
    assert.equal(who(await a.authenticateToken('new')), 'bob|2|');
    assert.match(warnings.at(-1)!, /valid again/);

    rmSync(f.path);
    assert.equal(await a.reload(), 'failed');
    assert.equal(who(await a.authenticateToken('new')), 'no-opinion');
    assert.equal(errors.length, 2);

    writeFileSync(f.path, 'third,carol,3\n');
    assert.equal(await a.reload(), 'reloaded');
    assert.equal(await a.reload(), 'unchanged');
    assert.equal(a.size, 1);
  } finally {
    f.done();
  }
});

test('behind the bearer parser: unknown token is 401, never anonymous', async () => {
  const f = tempFile(FILE);
  try {
    const union = new UnionAuthenticator([
      new BearerTokenAuthenticator([new TokenFileAuthenticator({ path: f.path, log: { warn() {}, error() {} } })]),
      new AnonymousAuthenticator(),
    ]);
    const run = (h: Record<string, string>) => union.authenticate({ headers: h, socket: undefined });
    const good = await run({ authorization: 'Bearer secret-2' });
    assert.equal(good.kind === 'authenticated' && good.user.groups.join(';'), 'system:authenticated');
    assert.equal((await run({ authorization: 'Bearer wrong' })).kind, 'rejected');
    const none = await run({});
    assert.equal(none.kind === 'authenticated' && none.user.username, 'system:anonymous');
  } finally {
    f.done();
  }
});
