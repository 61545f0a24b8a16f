/**
 * A dead audit webhook behind a real server: requests are answered as usual, the backend holds at
 * most its buffer, and what it could not deliver is counted (dropped, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster } from '../helpers/cluster.ts';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import type { WebhookBackend } from '../../src/audit/webhook-backend.ts';

function kubeconfig(dir: string, port: number): string {
  const now = new Date();
  const ca = createCA({ commonName: 'audit-sink-ca', now, validityDays: 1 });
  const client = issueCert(ca, { commonName: 'portcullis', usage: 'client', now, validityDays: 1 });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const path = join(dir, 'audit-webhook.yaml');
  writeFileSync(path, `clusters: [{name: sink, cluster: {server: "https://127.0.0.1:${port}/events", certificate-authority-data: ${b64(ca.certPem)}}}]
users: [{name: me, user: {client-certificate-data: ${b64(client.certPem)}, client-key-data: ${b64(client.keyPem)}}}]
contexts: [{name: c, context: {cluster: sink, user: me}}]
current-context: c
`);
  return path;
}

for (const kind of ['accepts and never answers', 'refuses connections'] as const) {
  test(`an audit webhook that ${kind} blocks no request and holds at most its buffer`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-dead-'));
    const sockets = new Set<Socket>();
    const sink = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    const port = await new Promise<number>((r) => sink.listen(0, '127.0.0.1', () => r((sink.address() as { port: number }).port)));
    if (kind === 'refuses connections') await new Promise((r) => sink.close(r));
    const tc = await startTestCluster({
      audit: {
        policy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'RequestResponse' }] },
        webhookConfigFile: kubeconfig(dir, port),
        webhookBatchBufferSize: 10,
        webhookBatchMaxSize: 5,
        webhookBatchMaxWaitMs: 10,
        webhookTimeoutMs: 2000,
      },
    });
    try {
      const backend = tc.cp.auditor!;
      const wh = backend.backends.find((b) => b.name === 'webhook') as WebhookBackend;
      let maxBuffered = 0;
      for (let round = 0; round < 10; round++) {
        const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => tc.admin.get(`/api/v1/namespaces/default/configmaps?round=${round}&i=${i}`)));
        assert.ok(answers.every((a) => a.status === 200));
        maxBuffered = Math.max(maxBuffered, wh.buffered);
      }
      assert.ok(maxBuffered <= 10, `buffer held ${maxBuffered}`);
      const s = backend.stats().webhook!;
      if (kind === 'accepts and never answers') assert.ok(s.dropped > 0, `drops counted: ${JSON.stringify(s)}`);
      else {
        for (let i = 0; i < 200 && backend.stats().webhook!.errors === 0; i++) await new Promise((r) => setTimeout(r, 25));
        assert.ok(backend.stats().webhook!.errors > 0, `failures counted: ${JSON.stringify(backend.stats())}`);
      }
    } finally {
      await tc.close();
      for (const s of sockets) s.destroy();
      sink.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
