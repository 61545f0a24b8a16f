import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startFastifyBaseline, type FastifyBaseline } from './baseline-fastify.ts';
import { H2Connection } from './h2-client.ts';
import { RawConnection } from './raw-client.ts';

const NS = '/api/v1/namespaces/default/configmaps';
const cm = (name: string, v: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } });

/** The head of the first answer on a fresh HTTP/1.1 connection. */
function h1Head(b: FastifyBaseline): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: b.port, ca: b.tls.caPem, cert: b.tls.certPem, key: b.tls.keyPem, ALPNProtocols: ['http/1.1'] }, () =>
      s.write(`GET ${NS} HTTP/1.1\r\nhost: x\r\n\r\n`),
    );
    s.once('data', (d: Buffer) => (resolve(d.toString('latin1')), s.destroy()));
    s.once('error', reject);
  });
}

describe('bench baseline: bare fastify with HTTP/2 (http2-cost.ts)', () => {
  let b: FastifyBaseline;
  let h2: H2Connection;
  before(async () => {
    b = await startFastifyBaseline({ http2: true });
    h2 = new H2Connection({ host: '127.0.0.1', port: b.port, tls: b.tls });
  });
  after(async () => {
    h2.close();
    await b.close();
  });

  it('creates, replaces and reads over h2, with a watch open on the same connection', async () => {
    assert.equal((await h2.request('POST', NS, cm('a', '1'))).status, 201);
    assert.equal(await h2.watch(`${NS}?watch=1`), 200);
    const put = await h2.request('PUT', `${NS}/a`, cm('a', '2'));
    assert.equal(put.status, 200);
    assert.equal((await h2.request('PUT', `${NS}/missing`, cm('missing', '1'))).status, 404);
    const got = await h2.request('GET', `${NS}/a`);
    assert.equal(got.status, 200);
    assert.ok(got.bytes > 50);
  });

  it('still serves HTTP/1.1 clients, kept alive as long as the HTTP/1.1-only server does', async () => {
    const raw = new RawConnection({ host: '127.0.0.1', port: b.port, tls: b.tls });
    try {
      assert.equal((await raw.request('POST', NS, cm('b', '1'))).status, 201);
      assert.equal((await raw.request('GET', `${NS}/b`)).status, 200);
    } finally {
      raw.close();
    }
    assert.match(await h1Head(b), /\r\nKeep-Alive: timeout=72\r\n/i);
  });

  it('refuses a client without a certificate of its CA', async () => {
    const other = await startFastifyBaseline({ http2: true });
    const stranger = new H2Connection({ host: '127.0.0.1', port: b.port, tls: { ...other.tls, caPem: b.tls.caPem } });
    try {
      await assert.rejects(stranger.request('GET', NS));
    } finally {
      stranger.close();
      await other.close();
    }
  });
});

describe('bench baseline: HTTP/1.1 only (as before)', () => {
  it('serves the watch as a chunked answer held open', async () => {
    const b = await startFastifyBaseline();
    try {
      const head = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: b.port, ca: b.tls.caPem, cert: b.tls.certPem, key: b.tls.keyPem }, () =>
          s.write(`GET ${NS}?watch=1 HTTP/1.1\r\nhost: x\r\n\r\n`),
        );
        let got = '';
        s.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (got.includes('BOOKMARK')) (resolve(got), s.destroy());
        });
        s.once('error', reject);
      });
      assert.match(head, /^HTTP\/1\.1 200/);
      assert.match(head, /transfer-encoding: chunked/i);
    } finally {
      await b.close();
    }
  });
});
