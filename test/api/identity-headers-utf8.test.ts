/**
 * Identity headers carry UTF-8 as Go reads them: a name sent as the bytes of "jörg" or "日本"
 * through the authenticating proxy or Impersonate-* comes back from SelfSubjectReview unchanged,
 * not as its Latin-1 reading ("jÃ¶rg").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { clusterPerFile } from '../helpers/cluster.ts';

const proxyCa = createCA({ commonName: 'front-proxy-ca', now: new Date(), validityDays: 1 });
const proxyCert = issueCert(proxyCa, { commonName: 'front-proxy-client', usage: 'client', now: new Date(), validityDays: 1 });
const c = clusterPerFile({ authn: { requestHeader: { clientCaPem: proxyCa.certPem, allowedNames: ['front-proxy-client'] } } });

interface Identity {
  certPem: string;
  keyPem: string;
}

/**
 * POST a SelfSubjectReview with header lines written byte for byte (Node's HTTP client would
 * re-encode header strings), the way a Go client or proxy sends UTF-8 names.
 */
function who(id: Identity, headers: [string, Buffer][]): Promise<{ status: number; body: any }> {
  const u = new URL(c.cp.url);
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  const head = Buffer.from(`POST /apis/authentication.k8s.io/v1/selfsubjectreviews HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${body.length}\r\n`);
  const lines = headers.map(([name, value]) => Buffer.concat([Buffer.from(`${name}: `), value, Buffer.from('\r\n')]));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: u.hostname, port: Number(u.port), servername: 'localhost', ca: c.cp.pki.caCertPem, cert: id.certPem, key: id.keyPem }, () => {
      s.end(Buffer.concat([head, ...lines, Buffer.from(`\r\n${body}`)]));
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
      const payload = text.slice(text.indexOf('\r\n\r\n') + 4);
      // The answer is small: one chunk, or a plain body.
      const json = payload.slice(payload.indexOf('{'), payload.lastIndexOf('}') + 1);
      resolve({ status, body: JSON.parse(json) });
    });
  });
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

test('a UTF-8 user and group from the authenticating proxy round-trip through SelfSubjectReview', async () => {
  const r = await who(proxyCert, [['X-Remote-User', utf8('jörg')], ['X-Remote-Group', utf8('日本')], ['X-Remote-Extra-Team', utf8('équipe')]]);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.status.userInfo.username, 'jörg');
  assert.deepEqual(r.body.status.userInfo.groups, ['日本', 'system:authenticated']);
  assert.deepEqual(r.body.status.userInfo.extra, { team: ['équipe'] });
  // One Latin-1 byte is not UTF-8: refused, not read as some other name.
  const bad = await who(proxyCert, [['X-Remote-User', Buffer.from([0x6a, 0xf6, 0x72, 0x67])]]);
  assert.equal(bad.status, 401, JSON.stringify(bad.body));
});

test('a UTF-8 Impersonate-User and -Group round-trip through SelfSubjectReview', async () => {
  const admin = { certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem };
  const r = await who(admin, [['Impersonate-User', utf8('jörg')], ['Impersonate-Group', utf8('日本')]]);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.status.userInfo.username, 'jörg');
  assert.deepEqual(r.body.status.userInfo.groups, ['日本', 'system:authenticated']);
  const bad = await who(admin, [['Impersonate-User', Buffer.from([0x6a, 0xf6, 0x72, 0x67])]]);
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.match(bad.body.message, /impersonate-user: invalid UTF-8/);
});
