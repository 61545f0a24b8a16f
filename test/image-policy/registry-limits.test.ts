// The registry client's limits against small node servers that misbehave on purpose: a registry
// that never answers, a 50 MiB manifest, concurrent identical lookups, the Bearer token flow, and
// plain HTTP to a registry that is not on the loopback address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { CredentialKeyring } from '../../src/image-policy/registry/credentials.ts';
import { sha256Digest } from '../../src/image-policy/registry/digest.ts';
import { OCI_MANIFEST } from '../../src/image-policy/registry/media-types.ts';
import { RegistryPusher, bufferSource } from '../../src/image-policy/registry/push.ts';
import { reasonCode } from '../helpers/registry.ts';

const code = reasonCode;

const MANIFEST = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: OCI_MANIFEST,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest('{}'), size: 2 }, layers: [],
}));
const MANIFEST_DIGEST = sha256Digest(MANIFEST);

function serveManifest(res: http.ServerResponse, head: boolean): void {
  res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': MANIFEST_DIGEST, 'content-length': MANIFEST.length });
  res.end(head ? undefined : MANIFEST);
}

async function listen(server: http.Server | net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as net.AddressInfo).port;
}

const close = (s: net.Server) => new Promise<void>((resolve) => { if (typeof (s as http.Server).closeAllConnections === 'function') (s as http.Server).closeAllConnections(); s.close(() => resolve()); });

describe('registry client limits', () => {
  test('a registry that accepts and never answers: REGISTRY_UNAVAILABLE at the deadline', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    const port = await listen(server);
    const client = new RegistryClient({ deadlineMs: 300 });
    try {
      await assert.rejects(client.resolve(parseDockerRef(`127.0.0.1:${port}/app:v1`)), (err) => code('REGISTRY_UNAVAILABLE')(err) && /deadline/.test((err as Error).message));
      assert.ok(sockets.length >= 1, 'the client did connect');
    } finally {
      client.close();
      for (const s of sockets) s.destroy();
      await close(server);
    }
  });

  describe('a 50 MiB manifest', () => {
    const TOTAL = 50 * 1024 * 1024;
    let server: http.Server;
    let port: number;
    const written: number[] = [];

    before(async () => {
      server = http.createServer((req, res) => {
        const declare = req.url!.includes('declared');
        res.writeHead(200, { 'content-type': OCI_MANIFEST, ...(declare ? { 'content-length': TOTAL } : {}) });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < TOTAL && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => written.push(req.socket.bytesWritten));
        pump();
      });
      port = await listen(server);
    });
    after(() => close(server));

    test('streamed without a length: OVERSIZE after the 4 MiB cap, the rest never read', async () => {
      const client = new RegistryClient();
      try {
        await assert.rejects(client.getManifest(parseDockerRef(`127.0.0.1:${port}/big/streamed:v1`)), code('OVERSIZE'));
      } finally {
        client.close();
      }
      await new Promise((r) => setTimeout(r, 50));
      const sent = written.pop()!;
      // What left the server: the cap plus what the socket buffers held, far from 50 MiB.
      assert.ok(sent < 20 * 1024 * 1024, `server wrote ${sent} bytes`);
    });

    test('with Content-Length over the cap: OVERSIZE before reading the body', async () => {
      const client = new RegistryClient();
      try {
        await assert.rejects(client.getManifest(parseDockerRef(`127.0.0.1:${port}/big/declared:v1`)), (err) => code('OVERSIZE')(err) && /52428800 bytes/.test((err as Error).message));
      } finally {
        client.close();
      }
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(written.pop()! < 20 * 1024 * 1024);
    });
  });

  test('concurrent identical lookups share one request (singleflight)', async () => {
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      // Hold the answer so the second lookup starts while the first is in flight.
      setTimeout(() => serveManifest(res, req.method === 'HEAD'), 200);
    });
    const port = await listen(server);
    const client = new RegistryClient();
    try {
      const ref = parseDockerRef(`127.0.0.1:${port}/app:v1`);
      const [a, b] = await Promise.all([client.resolve(ref), client.resolve(ref)]);
      assert.equal(a.digest, MANIFEST_DIGEST);
      assert.deepEqual(a, b);
      assert.equal(requests, 1);
      // Another pod's credentials are another lookup.
      await Promise.all([client.resolve(ref), client.resolve(ref, { keyring: new CredentialKeyring() })]);
      assert.equal(requests, 3);
      // A caller that gives up stops its own wait, not the shared fetch.
      const quitter = new AbortController();
      const quitting = client.resolve(ref, { signal: quitter.signal });
      const staying = client.resolve(ref);
      quitter.abort(new Error('pod deleted'));
      await assert.rejects(quitting, (err) => code('REGISTRY_UNAVAILABLE')(err) && /cancelled: pod deleted/.test((err as Error).message));
      assert.equal((await staying).digest, MANIFEST_DIGEST);
      assert.equal(requests, 4);
    } finally {
      client.close();
      await close(server);
    }
  });

  test('a malformed Docker-Content-Digest is refused, by HEAD and by GET', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': 'sha256:../../v2/other/blobs/x', 'content-length': MANIFEST.length });
      res.end(req.method === 'HEAD' ? undefined : MANIFEST);
    });
    const port = await listen(server);
    const client = new RegistryClient();
    try {
      const ref = parseDockerRef(`127.0.0.1:${port}/app:v1`);
      await assert.rejects(client.resolve(ref), (err) => code('IMAGE_NOT_FOUND')(err) && /malformed digest/.test((err as Error).message));
      await assert.rejects(client.getManifest(ref), (err) => code('IMAGE_NOT_FOUND')(err) && /malformed digest/.test((err as Error).message));
    } finally {
      client.close();
      await close(server);
    }
  });

  test('Bearer token flow: realm, service and scope; tokens cached per credential', async () => {
    const tokenRequests: URL[] = [];
    let port = 0;
    const server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(url);
        const auth = req.headers.authorization ?? '';
        const user = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
        const token = user === 'alice:pw' ? 'tok-alice' : user === '' ? 'tok-anonymous' : undefined;
        if (!token) return void res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      if (req.headers.authorization === 'Bearer tok-alice') return serveManifest(res, req.method === 'HEAD');
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test-registry",scope="repository:team/app:pull"` });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    });
    port = await listen(server);
    const alice = new CredentialKeyring([{ auths: { [`127.0.0.1:${port}`]: { username: 'alice', password: 'pw' } } }]);
    const client = new RegistryClient({ keyring: alice });
    try {
      const ref = parseDockerRef(`127.0.0.1:${port}/team/app:v1`);
      assert.equal((await client.resolve(ref)).digest, MANIFEST_DIGEST);
      assert.equal(tokenRequests.length, 1);
      assert.equal(tokenRequests[0]!.searchParams.get('service'), 'test-registry');
      assert.deepEqual(tokenRequests[0]!.searchParams.getAll('scope'), ['repository:team/app:pull']);
      assert.equal((await client.getManifest(ref)).descriptor.digest, MANIFEST_DIGEST);
      assert.equal(tokenRequests.length, 1, 'the token is reused for the same scope and credential');
      // A lookup without credentials gets its own (anonymous) token, which the registry refuses.
      await assert.rejects(client.resolve(ref, { keyring: new CredentialKeyring() }), code('IMAGE_NOT_FOUND'));
      assert.equal(tokenRequests.length, 2);
    } finally {
      client.close();
      await close(server);
    }
  });

  test('blob downloads follow redirects to storage, without the registry credentials', async () => {
    const blob = Buffer.from('layer bytes');
    const digest = sha256Digest(blob);
    const storageAuth: (string | undefined)[] = [];
    const storage = http.createServer((req, res) => {
      storageAuth.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': blob.length }).end(blob);
    });
    const storagePort = await listen(storage);
    let hops = 0;
    const registry = http.createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:pw').toString('base64')}`) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      }
      if (req.url!.startsWith('/loop')) return void res.writeHead(302, { location: `/loop${++hops}` }).end();
      if (req.url!.includes('/blobs/sha256:' + '0'.repeat(64))) return void res.writeHead(307, { location: '/loop0' }).end();
      res.writeHead(307, { location: `http://localhost:${storagePort}/data?sig=x` }).end();
    });
    const port = await listen(registry);
    const client = new RegistryClient({ keyring: new CredentialKeyring([{ auths: { [`127.0.0.1:${port}`]: { username: 'alice', password: 'pw' } } }]) });
    try {
      const ref = parseDockerRef(`127.0.0.1:${port}/app:v1`);
      assert.deepEqual(await client.getBlob(ref, { digest, size: blob.length }), blob);
      assert.deepEqual(storageAuth, [undefined], 'credentials stay with the registry host');
      await assert.rejects(client.getBlob(ref, { digest: `sha256:${'0'.repeat(64)}` }), (err) => code('REGISTRY_UNAVAILABLE')(err) && /after 10 redirects/.test((err as Error).message));
    } finally {
      client.close();
      await close(registry);
      await close(storage);
    }
  });

  test('an upload Location on another host gets the bytes but not the registry credentials', async () => {
    const blob = Buffer.from('blob bytes');
    const digest = sha256Digest(blob);
    const uploadAuth: (string | undefined)[] = [];
    const received: Buffer[] = [];
    const upload = http.createServer((req, res) => {
      uploadAuth.push(req.headers.authorization);
      req.on('data', (c: Buffer) => received.push(c));
      req.on('end', () => res.writeHead(201, { 'docker-content-digest': digest }).end());
    });
    const uploadPort = await listen(upload);
    const registry = http.createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:pw').toString('base64')}`) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      if (req.method === 'HEAD') return void res.writeHead(404).end();
      res.writeHead(202, { location: `http://localhost:${uploadPort}/upload/1?state=x` }).end();
    });
    const port = await listen(registry);
    const client = new RegistryClient({ keyring: new CredentialKeyring([{ auths: { [`127.0.0.1:${port}`]: { username: 'alice', password: 'pw' } } }]) });
    try {
      const outcome = await new RegistryPusher(client.transport).pushBlob(parseDockerRef(`127.0.0.1:${port}/app:v1`), { digest, size: blob.length }, bufferSource(blob));
      assert.equal(outcome, 'uploaded');
      assert.deepEqual(Buffer.concat(received), blob);
      assert.deepEqual(uploadAuth, [undefined]);
    } finally {
      client.close();
      await close(registry);
      await close(upload);
    }
  });

  test('referrers API: the registry\'s index, filtered by artifact type', async () => {
    const subject = MANIFEST_DIGEST;
    const seen: string[] = [];
    const entry = (artifactType: string, n: string) => ({ mediaType: OCI_MANIFEST, digest: sha256Digest(n), size: 10, artifactType });
    const server = http.createServer((req, res) => {
      seen.push(req.url!);
      if (!req.url!.startsWith(`/v2/app/referrers/${subject}`)) return void res.writeHead(404).end();
      // This registry ignores the filter (allowed by the spec): the client filters.
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      res.end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [entry('application/vnd.dev.sigstore.bundle.v0.3+json', 'a'), entry('application/spdx+json', 'b')] }));
    });
    const port = await listen(server);
    const client = new RegistryClient();
    try {
      const ref = parseDockerRef(`127.0.0.1:${port}/app:v1`);
      assert.equal((await client.referrers(ref, subject)).length, 2);
      const bundles = await client.referrers(ref, subject, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.deepEqual(bundles.map((d) => d.digest), [sha256Digest('a')]);
      assert.ok(seen.includes(`/v2/app/referrers/${subject}?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson`), seen.join(' '));
      assert.ok(!seen.some((u) => u.includes('/manifests/sha256-')), 'no tag fallback when the API answers');
    } finally {
      client.close();
      await close(server);
    }
  });

  test('connections kept alive are bounded by host: references naming ever new hosts do not hold a socket each', async () => {
    const open = new Set<net.Socket>();
    const server = http.createServer((req, res) => serveManifest(res, req.method === 'HEAD'));
    // A registry that never closes an idle connection (Node's server would after 5 s).
    server.keepAliveTimeout = 0;
    server.on('connection', (s: net.Socket) => {
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    const port = await listen(server, '0.0.0.0');
    const client = new RegistryClient();
    try {
      // 300 loopback addresses: 300 hosts as far as references go (127.0.0.0/8 all reach this server).
      for (let i = 1; i <= 300; i++) {
        assert.equal((await client.resolve(parseDockerRef(`127.0.${Math.floor(i / 250)}.${(i % 250) + 1}:${port}/app:v1`))).digest, MANIFEST_DIGEST);
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(open.size <= 130, `connections the client keeps open: ${open.size}`);
    } finally {
      client.close();
      await close(server);
    }
  });

  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  test('plain HTTP only for loopback registries or ones configured insecure', { skip: external ? false : 'no non-loopback IPv4 address' }, async () => {
    const server = http.createServer((req, res) => serveManifest(res, req.method === 'HEAD'));
    const port = await listen(server, '0.0.0.0');
    const host = `${external}:${port}`;
    const strict = new RegistryClient({ deadlineMs: 5000 });
    const insecure = new RegistryClient({ hosts: { [host]: { insecure: true } } });
    const loopback = new RegistryClient();
    try {
      await assert.rejects(strict.resolve(parseDockerRef(`${host}/app:v1`)), code('REGISTRY_UNAVAILABLE'));
      assert.equal((await insecure.resolve(parseDockerRef(`${host}/app:v1`))).digest, MANIFEST_DIGEST);
      assert.equal((await loopback.resolve(parseDockerRef(`127.0.0.1:${port}/app:v1`))).digest, MANIFEST_DIGEST);
    } finally {
      strict.close();
      insecure.close();
      loopback.close();
      await close(server);
    }
  });

  test('a registry off the loopback cannot send the client to a loopback address (redirect, token realm)', { skip: external ? false : 'no non-loopback IPv4 address' }, async () => {
    // A local service the remote registry names: it must never be asked anything.
    const asked: string[] = [];
    const local = http.createServer((req, res) => {
      asked.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}');
    });
    const localPort = await listen(local);
    const remote = http.createServer((req, res) => {
      if (req.url?.startsWith('/v2/redirect/blobs/')) return void res.writeHead(307, { location: `http://127.0.0.1:${localPort}/internal` }).end();
      if (req.url?.startsWith('/v2/realm/')) return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${localPort}/token",service="s"` }).end();
      res.writeHead(404).end();
    });
    const port = await listen(remote, '0.0.0.0');
    const host = `${external}:${port}`;
    const keyring = new CredentialKeyring([{ auths: { [host]: { username: 'u', password: 'pull-secret' } } }]);
    const client = new RegistryClient({ hosts: { [host]: { insecure: true } }, keyring, deadlineMs: 5000 });
    try {
      await assert.rejects(client.getBlob(parseDockerRef(`${host}/redirect:v1`), { digest: sha256Digest('x') }), (err) => code('REGISTRY_UNAVAILABLE')(err) && /refusing a redirect to http:\/\/127\.0\.0\.1/.test((err as Error).message));
      await assert.rejects(client.resolve(parseDockerRef(`${host}/realm:v1`)), (err) => code('REGISTRY_UNAVAILABLE')(err) && /refusing token realm http:\/\/127\.0\.0\.1/.test((err as Error).message));
      assert.deepEqual(asked, [], 'the loopback service was never reached');
    } finally {
      client.close();
      await close(remote);
      await close(local);
    }
  });
});
