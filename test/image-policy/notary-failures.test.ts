/**
 * Failures against real trust data: metadata saved from notary-server and replayed after newer
 * metadata was seen is ROLLBACK; a Notary server that refuses connections, or accepts and never
 * answers, is REGISTRY_UNAVAILABLE within the deadline (a denial, never an admission).
 */
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { NotaryVerifier } from '../../src/image-policy/verifiers/notary/verifier.ts';
import { NotaryCli, digestOf, notarySkip, reason as isCode, saveMetadata, startNotaryServer, startReplayServer, type NotaryServer } from '../helpers/notary.ts';

const skip = notarySkip();

describe('notary failures with real trust data', { skip }, () => {
  let server: NotaryServer;
  let cli: NotaryCli;
  let pin: { keyIds: string[] };
  const gun = 'registry.example/team/replayed';

  before(async () => {
    server = await startNotaryServer();
    cli = new NotaryCli(server);
    await cli.run('init', gun);
    await cli.add(gun, 'v1', 'first build');
    await cli.run('publish', gun);
    pin = { keyIds: [await cli.rootKeyId()] };
  });
  after(async () => {
    cli?.cleanup();
    await server?.stop();
  });

  const hosts = (...urls: string[]) => Object.fromEntries(urls.map((u) => [new URL(u).host, { caPem: server.tls.caPem }]));

  test('old metadata replayed after newer was verified is ROLLBACK, though every signature on it is valid', async () => {
    const old = await saveMetadata(server, gun);
    await cli.add(gun, 'v1', 'second build');
    await cli.run('publish', gun);
    const replay = await startReplayServer(server.tls, old);
    const v = new NotaryVerifier({ now: Date.now, hosts: hosts(server.url, replay.url), deadlineMs: 5000 });
    try {
      // Before anything newer was seen, the saved metadata is simply the older truth.
      const fresh = new NotaryVerifier({ now: Date.now, hosts: hosts(replay.url) });
      assert.equal((await fresh.verify({ server: replay.url, gun, tag: 'v1', digest: digestOf('first build'), pin })).target, 'v1');
      fresh.close();
      await v.verify({ server: server.url, gun, tag: 'v1', digest: digestOf('second build'), pin });
      await assert.rejects(v.verify({ server: replay.url, gun, tag: 'v1', digest: digestOf('first build'), pin }), isCode('ROLLBACK'));
    } finally {
      v.close();
      await replay.close();
    }
  });

  test('a refused connection and a server that never answers are REGISTRY_UNAVAILABLE within the deadline', { timeout: 30_000 }, async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentUrl = `https://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedUrl = `https://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const v = new NotaryVerifier({ now: Date.now, hosts: hosts(silentUrl, closedUrl), deadlineMs: 300 });
    try {
      await assert.rejects(v.verify({ server: closedUrl, gun, tag: 'v1', digest: digestOf('first build'), pin }), isCode('REGISTRY_UNAVAILABLE'));
      await assert.rejects(v.verify({ server: silentUrl, gun, tag: 'v1', digest: digestOf('first build'), pin }), isCode('REGISTRY_UNAVAILABLE'));
    } finally {
      v.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('a 50 MiB root.json is OVERSIZE without being read whole', { timeout: 30_000 }, async () => {
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const huge = createHttpsServer({ cert: server.tls.certPem, key: server.tls.keyPem }, (_req, res) => {
      // No Content-Length: the cap has to stop the stream, not the header.
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (written < 50 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    await new Promise<void>((r) => huge.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(huge.address() as { port: number }).port}`;
    const v = new NotaryVerifier({ now: Date.now, hosts: hosts(url), maxMetadataBytes: 1024 * 1024 });
    try {
      await assert.rejects(v.verify({ server: url, gun, tag: 'v1', digest: digestOf('first build'), pin }), isCode('OVERSIZE'));
      assert.ok(written < 50 * 1024 * 1024, `the server got to write all ${written} bytes`);
    } finally {
      v.close();
      huge.closeAllConnections();
      await new Promise<void>((r) => huge.close(() => r()));
    }
  });
});
