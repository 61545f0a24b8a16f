/**
 * Per-request authentication cost of each method, measured on the authenticators themselves (the
 * part of a request that differs between methods), next to a request with no credential at all.
 * Verified tokens are served from the cache keyed by the token's hash; a TLS connection's
 * certificate verdict is cached per socket. Each method is timed after a warm-up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { BearerTokenAuthenticator } from '../src/authn/bearer.ts';
import { TokenFileAuthenticator } from '../src/authn/token-file.ts';
import { UnionAuthenticator } from '../src/authn/union.ts';
import { X509Authenticator } from '../src/authn/x509.ts';
import { AnonymousAuthenticator } from '../src/authn/anonymous.ts';
import { ServiceAccountTokenAuthenticator } from '../src/authn/service-account/authenticator.ts';
import { generateServiceAccountKey, loadServiceAccountKeys } from '../src/authn/service-account/keys.ts';
import { issueToken } from '../src/authn/service-account/issuer.ts';
import type { AuthnRequest, RequestAuthenticator } from '../src/authn/types.ts';
import { createCA } from '../src/pki/ca.ts';
import { issueCert } from '../src/pki/certs.ts';

export interface AuthnBenchRow {
  method: string;
  iterations: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

async function time(method: string, a: RequestAuthenticator, req: AuthnRequest, iterations: number): Promise<AuthnBenchRow> {
  for (let i = 0; i < 2000; i++) await a.authenticate(req);
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t = process.hrtime.bigint();
    const r = await a.authenticate(req);
    samples[i] = Number(process.hrtime.bigint() - t) / 1000;
    if (r.kind === 'rejected') throw new Error(`${method}: rejected in the benchmark: ${r.error.message}`);
  }
  const sorted = Array.from(samples).sort((x, y) => x - y);
  const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000) / 1000;
  return { method, iterations, p50Us: q(0.5), p99Us: q(0.99), meanUs: Math.round((sorted.reduce((s, x) => s + x, 0) / sorted.length) * 1000) / 1000 };
}

/** A stand-in for a TLS socket that presents a client certificate, as node's TLSSocket does. */
function fakeSocket(certPem: string): TLSSocket {
  const raw = new X509Certificate(certPem).raw;
  const peer = { raw, subject: { CN: 'bench', O: ['dev'] }, issuerCertificate: undefined };
  return { getPeerCertificate: () => peer, authorized: true } as unknown as TLSSocket;
}

export async function benchAuthn(iterations = 50_000): Promise<{ rows: AuthnBenchRow[]; note: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-authn-'));
  try {
    const now = () => new Date();
    const ca = createCA({ commonName: 'bench-ca', now: new Date(), validityDays: 1 });
    const client = issueCert(ca, { commonName: 'bench', organizations: ['dev'], usage: 'client', now: new Date(), validityDays: 1 });
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, Array.from({ length: 1000 }, (_, i) => `token-${i},user${i},uid${i},dev`).join('\n') + '\n');
    const keyFile = generateServiceAccountKey(dir);
    const keys = loadServiceAccountKeys({ signingKeyFile: keyFile });
    const issuer = 'https://kubernetes.default.svc.cluster.local';
    const sa = { metadata: { name: 'robot', namespace: 'default', uid: 'sa-uid' } };
    const get = async (k: string) => (k === '/registry/core/serviceaccounts/default/robot' ? { value: sa } : undefined);
    const saToken = await issueToken({ namespace: 'default', serviceAccount: { name: 'robot', uid: 'sa-uid' }, audiences: [issuer], expirationSeconds: 3600, issuer, now: new Date(), key: keys.signing } as never);
    const bearer = (t: string): AuthnRequest => ({ headers: { authorization: [`Bearer ${t}`] }, socket: undefined });
    const rows: AuthnBenchRow[] = [];
    rows.push(await time('none (anonymous)', new UnionAuthenticator([new AnonymousAuthenticator()]), { headers: {}, socket: undefined }, iterations));
    const socket = fakeSocket(client.certPem);
    rows.push(await time('x509 (verdict cached per connection)', new UnionAuthenticator([new X509Authenticator({ clientCaPem: ca.certPem, now })]), { headers: {}, socket }, iterations));
    rows.push(await time('static token file (1,000 tokens)', new UnionAuthenticator([new BearerTokenAuthenticator([new TokenFileAuthenticator({ path: tokens, now })])]), bearer('token-500'), iterations));
    const saAuth = new ServiceAccountTokenAuthenticator({ issuers: [issuer], keys: keys.verification, get, now });
    rows.push(await time('service-account JWT (signature cached by token hash)', new UnionAuthenticator([new BearerTokenAuthenticator([saAuth])]), bearer(typeof saToken === 'string' ? saToken : (saToken as { token: string }).token), iterations));
    return { rows, note: 'µs per authenticate() call; the union adds system:authenticated as in a request' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await benchAuthn(), null, 2)}\n`);
