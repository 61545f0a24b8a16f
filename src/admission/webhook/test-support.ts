/** Test helpers: a local HTTPS webhook on 127.0.0.1 and plugin dependencies over an in-memory store. */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createCA } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';
import { openSqliteStore } from '../../storage/sqlite.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, Verdict } from '../types.ts';

export type Handler = (review: any, path: string) => unknown | Promise<unknown>;

export interface TestWebhook {
  url: string;
  port: number;
  caBundle: string;
  /** Every AdmissionReview received, with the path it was posted to. */
  seen: { path: string; review: any }[];
  close(): Promise<void>;
}

/** Starts an HTTPS server answering each POST with handler(review, path) as JSON (a string is sent raw). */
export async function startWebhook(handler: Handler, dnsNames: string[] = []): Promise<TestWebhook> {
  const now = new Date();
  const ca = createCA({ commonName: 'webhook-test-ca', now, validityDays: 1 });
  const cert = issueCert(ca, { commonName: 'webhook', usage: 'server', dnsNames, now, validityDays: 1 });
  const seen: { path: string; review: any }[] = [];
  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      seen.push({ path, review });
      try {
        const out = await handler(review, path);
        if (res.destroyed) return;
        res.setHeader('content-type', 'application/json');
        res.end(typeof out === 'string' ? out : JSON.stringify(out));
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(ca.certPem).toString('base64'),
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The v1 answer to a review. */
export function reply(review: any, response: Record<string, unknown>): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, ...response } };
}

export const allowAll: Authorizer = { name: 'test', authorize: async () => ({ decision: 'allow', reason: '' }) };

export function testDeps(authorizer: Authorizer = allowAll): PluginDeps {
  let n = 0;
  return {
    store: openSqliteStore({ path: ':memory:' }),
    authorizer,
    now: () => new Date('2024-01-01T00:00:00Z'),
    random: () => 0.5,
    newUid: () => `uid-${++n}`,
    log: pino({ level: 'silent' }),
  };
}

export function podAttrs(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    oldObject: undefined,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    subresource: '',
    namespace: 'ns',
    name: 'p',
    user: { username: 'alice', groups: ['system:authenticated'] },
    dryRun: false,
    ...over,
  };
}

/** The verdict, or a rejection with the Status a denial carries (as the chain would throw it). */
export async function asThrown(p: Promise<Verdict>): Promise<Verdict> {
  const v = await p;
  if (!v.allowed) throw v.error ?? new Error(v.reason ?? 'denied');
  return v;
}
