import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { hashPassword, parseBasic, parsePasswordFile, parseScryptHash, PasswordFileAuthenticator, PasswordFileError } from './password-file.ts';
import { UnionAuthenticator } from './union.ts';
import { AnonymousAuthenticator } from './anonymous.ts';
import type { AuthnResult } from './types.ts';

const FIXTURE = fileURLToPath(new URL('./testdata/password-file.csv', import.meta.url));
const PLAINTEXT = fileURLToPath(new URL('./testdata/password-file-plaintext.csv', import.meta.url));
const quiet = { warn() {} };
const basic = (s: string): string => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;
const summary = (r: AuthnResult): string =>
  r.kind === 'authenticated' ? `ok ${r.user.username}|${r.user.uid ?? ''}|${r.user.groups.join(';')}` : r.kind === 'rejected' ? `rejected: ${r.error.message}` : r.kind;

// One authenticator for the lookups: loading costs nothing, but each check is a real scrypt.
const shared = new PasswordFileAuthenticator({ path: FIXTURE, log: quiet, cacheTtlMs: 0 });

const lookups: { name: string; headers: Record<string, string | string[]>; want: string }[] = [
  { name: 'alice, right password', headers: { authorization: basic('alice:correct horse battery staple') }, want: 'ok alice|uid-1|dev;ops' },
  { name: 'bob', headers: { authorization: basic('bob:hunter2') }, want: 'ok bob|uid-2|' },
  { name: 'a password with a colon and non-ASCII', headers: { authorization: basic('carol:pa:ss wörd') }, want: 'ok carol||' },
  { name: 'lower-case scheme', headers: { authorization: `basic ${Buffer.from('bob:hunter2').toString('base64')}` }, want: 'ok bob|uid-2|' },
  { name: 'wrong password', headers: { authorization: basic('bob:hunter3') }, want: 'rejected: invalid username/password combination' },
  { name: 'unknown user', headers: { authorization: basic('mallory:hunter2') }, want: 'rejected: invalid username/password combination' },
  { name: 'user name is case-sensitive', headers: { authorization: basic('Bob:hunter2') }, want: 'rejected: invalid username/password combination' },
  { name: 'the hash itself is not the password', headers: { authorization: basic('bob:scrypt$16384$8$1$06BRTSN+iTLkL236JRReLw==$UaRzA98qIJtXVbheqxKH8Gk9l0AJwsVuYbSjudmy4sY=') }, want: 'rejected: invalid username/password combination' },
  { name: 'empty password', headers: { authorization: basic('bob:') }, want: 'rejected: invalid username/password combination' },
  { name: 'no Authorization header', headers: {}, want: 'no-opinion' },
  { name: 'a bearer token is not ours', headers: { authorization: 'Bearer abc' }, want: 'no-opinion' },
  { name: 'two headers', headers: { authorization: [basic('bob:hunter2'), basic('bob:hunter2')] }, want: 'rejected: invalid basic credentials: multiple Authorization headers' },
  { name: 'basic beside bearer', headers: { authorization: ['Bearer abc', basic('bob:hunter2')] }, want: 'rejected: invalid basic credentials: multiple Authorization headers' },
  { name: 'no colon', headers: { authorization: basic('bobhunter2') }, want: 'rejected: invalid basic credentials: basic credentials have no colon' },
  { name: 'not base64', headers: { authorization: 'Basic bob:hunter2' }, want: 'rejected: invalid basic credentials: basic credentials are not base64' },
  { name: 'unpadded base64', headers: { authorization: 'Basic Ym9iOmh1bnRlcjI' }, want: 'rejected: invalid basic credentials: basic credentials are not base64' },
  { name: 'empty credentials', headers: { authorization: 'Basic ' }, want: 'rejected: invalid basic credentials: basic credentials are not base64' },
  { name: 'CRLF in the header', headers: { authorization: `${basic('bob:hunter2')}\r\nX: y` }, want: 'rejected: invalid basic credentials: control characters in Authorization header' },
  { name: 'control character in the password', headers: { authorization: basic('bob:hunter2\n') }, want: 'rejected: invalid basic credentials: control characters in basic credentials' },
  { name: 'invalid UTF-8', headers: { authorization: `Basic ${Buffer.from([0x62, 0x3a, 0xff]).toString('base64')}` }, want: 'rejected: invalid basic credentials: basic credentials are not UTF-8' },
];
for (const c of lookups) {
  test(`basic auth: ${c.name}`, async () => {
    assert.equal(summary(await shared.authenticate({ headers: c.headers, socket: undefined })), c.want);
  });
}

test('the fixture loads three users and warns that the method is deprecated', () => {
  const warnings: string[] = [];
  const a = new PasswordFileAuthenticator({ path: FIXTURE, log: { warn: (_o, m) => warnings.push(m) } });
  assert.equal(a.size, 3);
  assert.deepEqual(warnings, ['--basic-auth-file is deprecated (removed from Kubernetes in 1.19); prefer client certificates, tokens or OIDC']);
});

test('a file with a plaintext password fails to load, naming the line but not the password', () => {
  assert.throws(() => new PasswordFileAuthenticator({ path: PLAINTEXT, log: quiet }), (e: unknown) =>
    e instanceof PasswordFileError && /line 2: the password is not a scrypt/.test(e.message) && e.message.includes(PLAINTEXT) && !e.message.includes('hunter2'));
});

const badFiles: { name: string; text: string; msg: RegExp }[] = [
  { name: 'bcrypt', text: '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234,alice,1\n', msg: /line 1: bcrypt hashes are not supported/ },
  { name: 'too few columns', text: 'scrypt$16384$8$1$x$y,alice\n', msg: /at least 3 columns .* found 2 on line 1/ },
  { name: 'empty user', text: `${valid()},,1\n`, msg: /empty user name on line 1/ },
  { name: 'weak N', text: 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,a,1\n', msg: /N must be a power of two from 16384/ },
  { name: 'N not a power of two', text: 'scrypt$20000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,a,1\n', msg: /power of two/ },
  { name: 'r out of range', text: 'scrypt$16384$0$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,a,1\n', msg: /r must be from 1 to 32/ },
  { name: 'short salt', text: 'scrypt$16384$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,a,1\n', msg: /salt must be at least 16 bytes/ },
  { name: 'short hash', text: 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA,a,1\n', msg: /hash must be 32 to 64 bytes/ },
  { name: 'missing field', text: 'scrypt$16384$8$AAAAAAAAAAAAAAAAAAAAAA==$AAAA,a,1\n', msg: /six \$-separated fields/ },
  { name: 'bad quoting', text: `${valid()},"alice,1\n`, msg: /extraneous or missing "/ },
];
function valid(): string {
  return 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
}
for (const c of badFiles) {
  test(`bad password file: ${c.name}`, () => {
    assert.throws(() => parsePasswordFile(c.text, '/etc/pw.csv'), (e: unknown) => e instanceof PasswordFileError && c.msg.test(e.message) && e.message.includes('/etc/pw.csv'));
  });
}

test('missing file is a start-up error', () => {
  assert.throws(() => new PasswordFileAuthenticator({ path: '/nonexistent/pw.csv', log: quiet }), PasswordFileError);
});

test('duplicate users warn and the last entry wins', () => {
  const { users, warnings } = parsePasswordFile(`${valid()},a,1\n${valid()},a,2\n`, 'f');
  assert.equal(users.get('a')!.user.uid, '2');
  assert.deepEqual(warnings, ["duplicate user 'a' has been found in password file 'f', line 2"]);
});

test('hashPassword output is scrypt as node:crypto computes it', async () => {
  const salt = Buffer.alloc(16, 7);
  const text = await hashPassword('s3cret', { N: 16384, salt });
  const h = parseScryptHash(text);
  assert.ok(typeof h !== 'string');
  assert.deepEqual(h.hash, scryptSync('s3cret', salt, 32, { N: 16384, r: 8, p: 1 }));
  assert.match(text, /^scrypt\$16384\$8\$1\$BwcHBwcHBwcHBwcHBwcHBw==\$[A-Za-z0-9+/]{43}=$/);
});

test('verified pairs are cached for the TTL; the cache never turns a wrong password into a right one', async () => {
  let now = 0;
  const a = new PasswordFileAuthenticator({ path: FIXTURE, log: quiet, now: () => new Date(now), cacheTtlMs: 60_000 });
  const run = (s: string) => a.authenticate({ headers: { authorization: basic(s) }, socket: undefined });
  assert.equal(summary(await run('bob:hunter2')), 'ok bob|uid-2|');
  assert.equal(summary(await run('bob:hunter2')), 'ok bob|uid-2|');
  assert.equal(summary(await run('bob:hunter')), 'rejected: invalid username/password combination');
  assert.equal(summary(await run('alice:hunter2')), 'rejected: invalid username/password combination');
  now = 61_000;
  assert.equal(summary(await run('bob:hunter2')), 'ok bob|uid-2|');
});

test('in the union: a wrong password is a 401, never anonymous', async () => {
  const union = new UnionAuthenticator([shared, new AnonymousAuthenticator()]);
  const r = await union.authenticate({ headers: { authorization: basic('bob:nope') }, socket: undefined });
  assert.equal(r.kind, 'rejected');
  const ok = await union.authenticate({ headers: { authorization: basic('bob:hunter2') }, socket: undefined });
  assert.equal(summary(ok), 'ok bob|uid-2|system:authenticated');
});

test('parseBasic: user is everything before the first colon', () => {
  assert.deepEqual(parseBasic({ authorization: basic('a:b:c') }), { kind: 'credentials', user: 'a', password: 'b:c' });
  assert.deepEqual(parseBasic({ authorization: basic(':x') }), { kind: 'credentials', user: '', password: 'x' });
});
