import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFrontProxyPki } from './front-proxy.ts';

test('front-proxy PKI: a CA of its own and front-proxy-client, kept across starts; a lost CA key is an error, not a new CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-fp-'));
  try {
    const now = new Date();
    const first = ensureFrontProxyPki(dir, { now });
    const client = new X509Certificate(first.clientCertPem);
    assert.match(client.subject, /CN=front-proxy-client/);
    assert.ok(client.checkIssued(new X509Certificate(first.caCertPem)));
    assert.deepEqual(ensureFrontProxyPki(dir, { now }), first);
    unlinkSync(join(dir, 'pki', 'front-proxy-ca.key'));
    assert.throws(() => ensureFrontProxyPki(dir, { now }), /front-proxy-ca\.key is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
