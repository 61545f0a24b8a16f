import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialKeyring } from './credentials.ts';
import { parseChallenge } from './challenge.ts';
import { RegistryClient, selectPlatform } from './client.ts';
import { isLoopbackHost } from './transport.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('keyring: host, port, path prefix, globs, Docker Hub aliases; most specific first', () => {
  const k = new CredentialKeyring([
    { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:1') } } },
    {
      auths: {
        'registry.example.com': { username: 'host', password: '2' },
        'registry.example.com/team': { auth: b64('team:3') },
        '*.corp.example': { auth: b64('glob:4') },
        'localhost:5000': { auth: b64('local:5:with:colons') },
      },
    },
  ]);
  const users = (domain: string, path: string) => k.lookup({ domain, path }).map((c) => c.username);
  assert.deepEqual(users('docker.io', 'library/busybox'), ['hub']);
  assert.deepEqual(users('registry.example.com', 'team/app'), ['team', 'host']);
  assert.deepEqual(users('registry.example.com', 'teamx/app'), ['host']);
  assert.deepEqual(users('registry.example.com:5000', 'team/app'), [], 'a port is part of the key');
  assert.deepEqual(users('Registry.Example.com:443', 'team/app'), ['team', 'host'], 'as URL spells the host');
  assert.deepEqual(users('a.corp.example', 'x'), ['glob']);
  assert.deepEqual(users('a.b.corp.example', 'x'), [], 'a glob matches one label');
  assert.deepEqual(users('localhost:5000', 'x'), ['local']);
  assert.equal(k.lookup({ domain: 'localhost:5000', path: 'x' })[0]!.password, '5:with:colons');
  assert.deepEqual(users('other.example', 'x'), []);
  assert.throws(() => new CredentialKeyring([{ auths: { x: { auth: b64('nocolon') } } }]), /user:password/);
});

test('keyring: an entry whose key is no URL is left out, the config\'s other entries kept (as the kubelet logs and ignores it)', () => {
  const k = new CredentialKeyring([{ auths: { 'bad host name': { auth: b64('bad:1') }, 'reg.example:5000': { auth: b64('good:2') } } }]);
  assert.deepEqual(k.lookup({ domain: 'reg.example:5000', path: 'app' }).map((c) => c.username), ['good']);
});

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="basic-realm"'), { scheme: 'basic', params: { realm: 'basic-realm' } });
  assert.deepEqual(parseChallenge('Bearer realm=unquoted, error="insufficient_scope"'), { scheme: 'bearer', params: { realm: 'unquoted', error: 'insufficient_scope' } });
  assert.equal(parseChallenge(undefined), undefined);
});

test('index platform selection: os/architecture, then variant', () => {
  const d = (digest: string, architecture: string, variant?: string) => ({ mediaType: 'm', digest, size: 1, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } });
  const index = { schemaVersion: 2 as const, manifests: [d('arm7', 'arm', 'v7'), d('arm64', 'arm64', 'v8'), d('amd', 'amd64'), { mediaType: 'm', digest: 'attestation', size: 1 }] };
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' })?.digest, 'amd');
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, 'arm7');
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, 'arm64');
  assert.equal(selectPlatform(index, { os: 'windows', architecture: 'amd64' }), undefined);
});

test('loopback hosts (where plain HTTP may be used)', () => {
  for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['192.0.2.2:5000', 'registry.example.com', '127.0.0.1.example.com', '[::2]:5000']) assert.ok(!isLoopbackHost(h), h);
});

test('client configuration is checked when the client is built', () => {
  assert.throws(() => new RegistryClient({ hosts: { 'r.example': { caPem: 'not a pem' } } }), /caPem holds no PEM certificate/);
  assert.throws(() => new RegistryClient({ hosts: { 'r.example': { caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } } }), /caPem/);
  assert.throws(() => new RegistryClient({ hosts: { 'https://r.example': {} } }), /want host\[:port\]/);
  assert.throws(() => new RegistryClient({ hosts: { '[::1': {} } }), /want host\[:port\]/);
  assert.throws(() => new RegistryClient({ deadlineMs: 0 }), /deadlineMs must be a positive number/);
  new RegistryClient({ hosts: { 'r.example:5000': { insecure: true } } }).close();
});

test('credentials reach a registry named with upper case or its default port', async () => {
  const { createServer } = await import('node:http');
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (!req.headers.authorization) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
    res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const host = `LOCALHOST:${port}`;
  const client = new RegistryClient({ keyring: new CredentialKeyring([{ auths: { [host]: { username: 'u', password: 'p' } } }]) });
  try {
    assert.deepEqual(await client.ping(host), { apiVersion: 'registry/2.0' });
    assert.equal(seen.at(-1), `Basic ${b64('u:p')}`);
  } finally {
    client.close();
    server.closeAllConnections();
    server.close();
  }
});
