/**
 * The serving TLS policy seen from real TLS clients: TLS 1.2 only with ECDHE key exchange and an
 * AEAD cipher, TLS 1.3 as usual, and no renegotiation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let cluster: TestCluster;
before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster.close();
});

function open(opts: ConnectionOptions): Promise<TLSSocket> {
  const url = new URL(cluster.cp.url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: url.hostname, port: Number(url.port), servername: 'localhost', ca: cluster.cp.pki.caCertPem, ...opts });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

const refused: [string, ConnectionOptions][] = [
  ['static RSA key exchange with CBC (AES128-SHA)', { ciphers: 'AES128-SHA', maxVersion: 'TLSv1.2' }],
  ['static RSA key exchange with AEAD (AES128-GCM-SHA256)', { ciphers: 'AES128-GCM-SHA256:AES256-GCM-SHA384', maxVersion: 'TLSv1.2' }],
  ['ECDHE with CBC (ECDHE-*-AES128-SHA, -SHA256)', { ciphers: 'ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA', maxVersion: 'TLSv1.2' }],
];
for (const [name, opts] of refused) {
  test(`a TLS 1.2 client limited to ${name} cannot connect`, async () => {
    await assert.rejects(open(opts), /handshake failure|no shared cipher|alert/i);
  });
}

test('TLS 1.2 negotiates an ECDHE AEAD suite; TLS 1.3 still works', async () => {
  const t12 = await open({ maxVersion: 'TLSv1.2' });
  try {
    assert.equal(t12.getProtocol(), 'TLSv1.2');
    assert.match(t12.getCipher().standardName, /^TLS_ECDHE_(RSA|ECDSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/);
  } finally {
    t12.destroy();
  }
  const t13 = await open({ minVersion: 'TLSv1.3' });
  try {
    assert.equal(t13.getProtocol(), 'TLSv1.3');
  } finally {
    t13.destroy();
  }
});

test('a client-initiated renegotiation is refused and ends the connection', async () => {
  const s = await open({ maxVersion: 'TLSv1.2' });
  try {
    const outcome = await new Promise<string>((resolve) => {
      s.once('close', () => resolve('closed'));
      s.on('error', () => {});
      const started = s.renegotiate({ rejectUnauthorized: true }, (err) => resolve(err ? `error: ${err.message}` : 'renegotiated'));
      if (!started) resolve('not started');
    });
    // Refused either by an error on the renegotiation or by the server ending the connection.
    assert.notEqual(outcome, 'renegotiated');
  } finally {
    s.destroy();
  }
});
