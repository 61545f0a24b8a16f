import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls, { type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { RequestHeaderAuthenticator, stripProxyHeaders, type RequestHeaderOptions } from './request-header.ts';
import { rawHeaderMap } from './raw-headers.ts';
import type { AuthnResult } from './types.ts';
import { fakeSocket, makeCert, TEST_NOW, type TestCert } from './testdata/certs.ts';

const DAY = 86_400_000;
const proxyCa = makeCert({ cn: 'front-proxy-ca', isCa: true });
const clientCa = makeCert({ cn: 'kubernetes-ca', isCa: true });
const intermediate = makeCert({ cn: 'front-proxy-intermediate', isCa: true }, proxyCa);
const proxy = makeCert({ cn: 'front-proxy-client' }, proxyCa);
const other = makeCert({ cn: 'other-proxy' }, proxyCa);
const viaIntermediate = makeCert({ cn: 'front-proxy-client' }, intermediate);
const fromClientCa = makeCert({ cn: 'front-proxy-client' }, clientCa);
const expired = makeCert({ cn: 'front-proxy-client', notBefore: new Date(TEST_NOW.getTime() - 10 * DAY), notAfter: new Date(TEST_NOW.getTime() - DAY) }, proxyCa);
const notYet = makeCert({ cn: 'front-proxy-client', notBefore: new Date(TEST_NOW.getTime() + DAY) }, proxyCa);
const serverOnly = makeCert({ cn: 'front-proxy-client', eku: 'server' }, proxyCa);
const nonCa = makeCert({ cn: 'not-a-ca', isCa: false, eku: 'none' }, proxyCa);
const signedByNonCa = makeCert({ cn: 'front-proxy-client' }, nonCa);
// Same subject name as the real CA, different key: only the signature tells them apart.
const impostorCa = makeCert({ cn: 'front-proxy-ca', isCa: true });
const fromImpostor = makeCert({ cn: 'front-proxy-client' }, impostorCa);

/** The Latin-1 string Node's HTTP parser makes of these UTF-8 bytes. */
const wire = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

const IDENTITY = ['X-Remote-User', 'alice', 'X-Remote-Group', 'g1', 'X-Remote-Group', 'g2', 'X-Remote-Extra-Acme.com%2Fproject', 'p1', 'X-Remote-Uid', 'u-1'];

function auth(extra: Partial<RequestHeaderOptions> = {}): RequestHeaderAuthenticator {
  return new RequestHeaderAuthenticator({ clientCaPem: proxyCa.certPem, allowedNames: ['front-proxy-client'], now: () => TEST_NOW, ...extra });
}

const show = (r: AuthnResult): string =>
  r.kind === 'authenticated'
    ? `${r.user.username}|${r.user.uid ?? ''}|${r.user.groups.join(';')}|${JSON.stringify(r.user.extra ?? {})}`
    : r.kind === 'rejected'
      ? `rejected: ${r.error.message}`
      : r.kind;

const ALICE = 'alice|u-1|g1;g2|{"acme.com/project":["p1"]}';

const cases: { name: string; chain: TestCert[] | null; headers: string[]; opts?: Partial<RequestHeaderOptions>; want: string | RegExp }[] = [
  { name: 'proxy cert with allowed CN', chain: [proxy], headers: IDENTITY, want: ALICE },
  { name: 'chain through an intermediate', chain: [viaIntermediate, intermediate], headers: IDENTITY, want: ALICE },
  { name: 'empty allowed list accepts any CN from the CA', chain: [other], headers: IDENTITY, opts: { allowedNames: [] }, want: ALICE },
  { name: 'wrong CN is refused', chain: [other], headers: IDENTITY, want: 'rejected: x509: subject with cn=other-proxy is not in the allowed list' },
  { name: 'wrong CN without identity headers: no opinion', chain: [other], headers: [], want: 'no-opinion' },
  { name: 'proxy cert without username header', chain: [proxy], headers: ['X-Remote-Group', 'g1'], want: 'no-opinion' },
  { name: 'no TLS socket: headers ignored', chain: null, headers: IDENTITY, want: 'no-opinion' },
  { name: 'no client certificate: headers ignored', chain: [], headers: IDENTITY, want: 'no-opinion' },
  { name: 'cert from the client CA: headers ignored', chain: [fromClientCa], headers: IDENTITY, want: 'no-opinion' },
  { name: 'impostor CA with the same name: ignored', chain: [fromImpostor, impostorCa], headers: IDENTITY, want: 'no-opinion' },
  { name: 'signed by a non-CA certificate: ignored', chain: [signedByNonCa, nonCa], headers: IDENTITY, want: 'no-opinion' },
  { name: 'expired proxy cert: ignored', chain: [expired], headers: IDENTITY, want: 'no-opinion' },
  { name: 'not yet valid proxy cert: ignored', chain: [notYet], headers: IDENTITY, want: 'no-opinion' },
  { name: 'server-only key usage: ignored', chain: [serverOnly], headers: IDENTITY, want: 'no-opinion' },
  { name: 'repeated username header is refused', chain: [proxy], headers: ['X-Remote-User', 'mallory', 'X-Remote-User', 'alice'], want: 'rejected: request-header: multiple x-remote-user headers' },
  { name: 'empty group values dropped', chain: [proxy], headers: ['X-Remote-User', 'bob', 'X-Remote-Group', ''], want: 'bob|||{}' },
  {
    name: 'configured header names; standard ones then mean nothing',
    chain: [proxy],
    headers: ['X-Remote-User', 'mallory', 'X-Proxy-User', 'carol', 'X-Proxy-Group', 'ops', 'X-Proxy-Extra-Scope', 's'],
    opts: { usernameHeaders: ['X-Proxy-User'], groupHeaders: ['X-Proxy-Group'], extraHeaderPrefixes: ['X-Proxy-Extra-'], uidHeaders: [] },
    want: 'carol||ops|{"scope":["s"]}',
  },
  {
    // Node reads header bytes as Latin-1; the proxy sent UTF-8, as Go's net/http reads it.
    name: 'UTF-8 names, groups and extras are read as UTF-8',
    chain: [proxy],
    headers: ['X-Remote-User', wire('jörg'), 'X-Remote-Group', wire('日本'), 'X-Remote-Extra-Team', wire('équipe'), 'X-Remote-Uid', wire('ü-1')],
    want: 'jörg|ü-1|日本|{"team":["équipe"]}',
  },
  { name: 'a username that is not UTF-8 is refused from the proxy', chain: [proxy], headers: ['X-Remote-User', 'j\xf6rg'], want: 'rejected: request-header: x-remote-user: invalid UTF-8' },
  { name: 'a group that is not UTF-8 is refused from the proxy', chain: [proxy], headers: ['X-Remote-User', 'bob', 'X-Remote-Group', '\xff'], want: 'rejected: request-header: x-remote-group: invalid UTF-8' },
  { name: 'bytes that are not UTF-8 from a non-proxy: ignored with the rest', chain: [fromClientCa], headers: ['X-Remote-User', 'j\xf6rg'], want: 'no-opinion' },
  {
    name: 'username headers tried in order, first non-empty wins',
    chain: [proxy],
    headers: ['X-A', '', 'X-B', 'dave'],
    opts: { usernameHeaders: ['X-A', 'X-B'] },
    want: 'dave|||{}',
  },
];

for (const c of cases) {
  test(`request-header: ${c.name}`, async () => {
    const r = await auth(c.opts).authenticate({ headers: rawHeaderMap(c.headers), socket: c.chain ? fakeSocket(c.chain) : undefined });
    assert.equal(show(r), c.want);
  });
}

test('the chain verdict is cached per connection but the clock is re-read', async () => {
  let now = TEST_NOW;
  const a = new RequestHeaderAuthenticator({ clientCaPem: proxyCa.certPem, now: () => now });
  const shortLived = makeCert({ cn: 'front-proxy-client', notBefore: new Date(TEST_NOW.getTime() - DAY), notAfter: new Date(TEST_NOW.getTime() + DAY) }, proxyCa);
  const socket = fakeSocket([shortLived]);
  const req = { headers: rawHeaderMap(['X-Remote-User', 'alice']), socket };
  assert.equal((await a.authenticate(req)).kind, 'authenticated');
  now = new Date(TEST_NOW.getTime() + 2 * DAY); // past the leaf's notAfter
  assert.equal((await a.authenticate(req)).kind, 'no-opinion');
});

test('configuration is validated when building', () => {
  assert.throws(() => new RequestHeaderAuthenticator({ clientCaPem: 'not a pem' }), /requestheader-client-ca-file/);
  assert.throws(() => new RequestHeaderAuthenticator({ clientCaPem: proxyCa.certPem, usernameHeaders: [] }), /at least one header/);
  assert.throws(() => new RequestHeaderAuthenticator({ clientCaPem: proxyCa.certPem, groupHeaders: ['bad header'] }), /invalid header name/);
});

test('stripProxyHeaders removes standard and configured proxy headers, case-insensitively', () => {
  const headers: Record<string, string> = {
    'x-remote-user': 'a', 'x-remote-uid': 'u', 'x-remote-group': 'g', 'x-remote-extra-k': 'v',
    'x-proxy-user': 'b', 'x-proxy-extra-k': 'v', 'authorization': 'Bearer t', 'accept': '*/*',
  };
  stripProxyHeaders(headers, { usernameHeaders: ['X-Proxy-User'], extraHeaderPrefixes: ['X-Proxy-Extra-'] });
  assert.deepEqual(headers, { authorization: 'Bearer t', accept: '*/*' });
});

test('stripProxyHeaders reads a configuration once, not on every request', () => {
  let reads = 0;
  const config = {
    get usernameHeaders() {
      reads++;
      return ['X-Proxy-User'];
    },
  };
  for (let i = 0; i < 3; i++) {
    const headers: Record<string, string> = { 'x-proxy-user': 'b', 'x-remote-user': 'a', accept: '*/*' };
    stripProxyHeaders(headers, config);
    assert.deepEqual(headers, { accept: '*/*' });
  }
  assert.equal(reads, 1);
});

// Node 24 servers do not hand out the peer's intermediates (nodejs/node#65579: getPeerCertificate(true)
// returns the leaf alone), so over real TLS a proxy certificate signed by an intermediate verifies only
// when the intermediate is in the request-header CA file itself, as Go's roots pool would allow too.
const realTls: { name: string; leaf: TestCert; sent: string; caPem: string; want: string }[] = [
  { name: 'proxy leaf signed by the CA', leaf: proxy, sent: proxy.certPem, caPem: proxyCa.certPem, want: 'alice|||{}' },
  { name: 'leaf from the client CA', leaf: fromClientCa, sent: fromClientCa.certPem, caPem: proxyCa.certPem, want: 'no-opinion' },
  { name: 'intermediate listed in the CA file', leaf: viaIntermediate, sent: viaIntermediate.certPem + intermediate.certPem, caPem: proxyCa.certPem + intermediate.certPem, want: 'alice|||{}' },
];
for (const c of realTls) {
  test(`over a real TLS connection: ${c.name}`, async () => {
    const serverCert = makeCert({ cn: 'localhost', eku: 'server' }, clientCa);
    const a = new RequestHeaderAuthenticator({ clientCaPem: c.caPem, now: () => new Date() });
    const results: string[] = [];
    const server = tls.createServer(
      { cert: serverCert.certPem, key: serverCert.keyPem, ca: [clientCa.certPem, proxyCa.certPem], requestCert: true, rejectUnauthorized: false },
      (socket: TLSSocket) => {
        void a.authenticate({ headers: rawHeaderMap(['X-Remote-User', 'alice']), socket }).then((r) => {
          results.push(show(r));
          socket.end();
        });
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, cert: c.sent, key: c.leaf.keyPem, ca: clientCa.certPem, servername: 'localhost' });
      client.resume();
      await once(client, 'close');
    } finally {
      server.close();
    }
    assert.deepEqual(results, [c.want]);
  });
}
