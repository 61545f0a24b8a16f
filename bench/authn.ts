/**
 * Per-request authentication cost of each method, measured on the authenticators themselves (the
 * part of a request that differs between methods), next to a request with no credential at all.
 * Verified tokens are served from the cache keyed by the token's hash; a TLS connection's
 * certificate verdict is cached per socket. Each method is timed after a warm-up, and each row's
 * request is checked once to authenticate as the expected user first, so a row can never be timing
 * a fast "no opinion" or rejection.
 *
 * Nothing leaves 127.0.0.1: the OIDC keys are served by an in-memory fetcher, and the token
 * webhook is an HTTPS server this process starts on 127.0.0.1 (so a cache miss also pays the
 * webhook's side of each review on this same thread) and closes at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { SignJWT } from 'jose';
import { BearerTokenAuthenticator } from '../src/authn/bearer.ts';
import { TokenFileAuthenticator } from '../src/authn/token-file.ts';
import { UnionAuthenticator } from '../src/authn/union.ts';
import { X509Authenticator } from '../src/authn/x509.ts';
import { AnonymousAuthenticator } from '../src/authn/anonymous.ts';
import { ServiceAccountTokenAuthenticator } from '../src/authn/service-account/authenticator.ts';
import { generateServiceAccountKey, loadServiceAccountKeys } from '../src/authn/service-account/keys.ts';
import { issueToken } from '../src/authn/service-account/issuer.ts';
import { buildOidcAuthenticators, compileJwtAuthenticators } from '../src/authn/oidc/build.ts';
import { JwtAuthenticator } from '../src/authn/oidc/jwt-authenticator.ts';
import { parseAuthenticationConfiguration } from '../src/authn/oidc/parse-config.ts';
import { newSigningKey } from '../src/authn/oidc/test-provider.ts';
import { WebhookTokenAuthenticator } from '../src/authn/webhook-token.ts';
import { RequestHeaderAuthenticator } from '../src/authn/request-header.ts';
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

async function time(method: string, a: RequestAuthenticator, req: AuthnRequest, iterations: number, warmup = 2000): Promise<AuthnBenchRow> {
  for (let i = 0; i < warmup; i++) await a.authenticate(req);
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
function fakeSocket(certPem: string, subject: { CN: string; O?: string[] } = { CN: 'bench', O: ['dev'] }): TLSSocket {
  const raw = new X509Certificate(certPem).raw;
  const peer = { raw, subject, issuerCertificate: undefined };
  return { getPeerCertificate: () => peer, authorized: true } as unknown as TLSSocket;
}

/** Throws unless `req` authenticates as `username`: the row must time a real verification. */
async function expectUser(method: string, a: RequestAuthenticator, req: AuthnRequest, username: string): Promise<void> {
  const r = await a.authenticate(req);
  if (r.kind !== 'authenticated') throw new Error(`${method}: expected ${username}, got ${r.kind === 'rejected' ? `rejected: ${r.error.message}` : r.kind}`);
  if (r.user.username !== username) throw new Error(`${method}: expected ${username}, got ${r.user.username}`);
}

/**
 * A TokenReview webhook on 127.0.0.1 that accepts one token, asks for the API server's client
 * certificate (as a real one would), and counts the reviews it answers.
 */
async function startTokenWebhook(caPem: string, serving: { certPem: string; keyPem: string }, token: string) {
  let reviews = 0;
  const server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      reviews++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { spec?: { token?: string } };
      const status = body.spec?.token === token ? { authenticated: true, user: { username: 'webhook-user', uid: 'w-1', groups: ['dev'] } } : { authenticated: false };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/authenticate`,
    reviews: () => reviews,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function benchAuthn(iterations = 50_000): Promise<{ rows: AuthnBenchRow[]; note: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-authn-'));
  let webhook: Awaited<ReturnType<typeof startTokenWebhook>> | undefined;
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
    const anonymous = new UnionAuthenticator([new AnonymousAuthenticator()]);
    await expectUser('none (anonymous)', anonymous, { headers: {}, socket: undefined }, 'system:anonymous');
    rows.push(await time('none (anonymous)', anonymous, { headers: {}, socket: undefined }, iterations));
    const socket = fakeSocket(client.certPem);
    const x509 = new UnionAuthenticator([new X509Authenticator({ clientCaPem: ca.certPem, now })]);
    await expectUser('x509', x509, { headers: {}, socket }, 'bench');
    rows.push(await time('x509 (verdict cached per connection)', x509, { headers: {}, socket }, iterations));
    const tokenFile = new UnionAuthenticator([new BearerTokenAuthenticator([new TokenFileAuthenticator({ path: tokens, now })])]);
    await expectUser('static token file', tokenFile, bearer('token-500'), 'user500');
    rows.push(await time('static token file (1,000 tokens)', tokenFile, bearer('token-500'), iterations));
    const saAuth = new UnionAuthenticator([new BearerTokenAuthenticator([new ServiceAccountTokenAuthenticator({ issuers: [issuer], keys: keys.verification, get, now })])]);
    const saBearer = bearer(typeof saToken === 'string' ? saToken : (saToken as { token: string }).token);
    await expectUser('service-account JWT', saAuth, saBearer, 'system:serviceaccount:default:robot');
    rows.push(await time('service-account JWT (signature cached by token hash)', saAuth, saBearer, iterations));

    // OIDC: an --authentication-config issuer whose discovery document and JWKS come from memory.
    const oidcIssuer = 'https://127.0.0.1:1/bench-oidc';
    const oidcKey = await newSigningKey('bench-key');
    const oidcDocs: Record<string, unknown> = {
      [`${oidcIssuer}/.well-known/openid-configuration`]: { issuer: oidcIssuer, jwks_uri: `${oidcIssuer}/jwks` },
      [`${oidcIssuer}/jwks`]: { keys: [oidcKey.publicJwk] },
    };
    const fetcherFor = () => async (url: string) => {
      if (!(url in oidcDocs)) throw new Error(`bench: unexpected fetch of ${url}`);
      return oidcDocs[url];
    };
    const oidcConfig = [
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: AuthenticationConfiguration',
      'jwt:',
      '- issuer:',
      `    url: ${oidcIssuer}`,
      '    audiences: [kube]',
      '  claimMappings:',
      '    username: {claim: sub, prefix: "oidc:"}',
      '    groups: {claim: groups, prefix: "oidc:"}',
      '',
    ].join('\n');
    const nowS = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ iss: oidcIssuer, aud: 'kube', sub: 'alice', groups: ['dev'], iat: nowS, exp: nowS + 3600 })
      .setProtectedHeader({ alg: 'RS256', kid: oidcKey.kid })
      .sign(oidcKey.privateKey);
    const built = buildOidcAuthenticators({ authenticationConfig: oidcConfig, now, fetcherFor });
    if (built.authenticators.length !== 1) throw new Error('bench: expected one OIDC authenticator');
    const oidcCached = new UnionAuthenticator([new BearerTokenAuthenticator(built.authenticators)]);
    const oidcRow = 'OIDC ID token RS256 (verified token cached by hash)';
    await expectUser(oidcRow, oidcCached, bearer(idToken), 'oidc:alice');
    rows.push(await time(oidcRow, oidcCached, bearer(idToken), iterations));
    // The same issuer with the cache off (buildOidcAuthenticators always keeps it on): every call
    // checks the signature and claims, as the first request with a new token does.
    const [compiled] = compileJwtAuthenticators(parseAuthenticationConfiguration(oidcConfig, 'bench').jwt);
    const oidcUncached = new UnionAuthenticator([new BearerTokenAuthenticator([new JwtAuthenticator({ jwt: compiled!, fetchJson: fetcherFor(), now, cacheSize: 0 })])]);
    const oidcUncachedRow = 'OIDC ID token RS256 (cache off: signature verified every call)';
    await expectUser(oidcUncachedRow, oidcUncached, bearer(idToken), 'oidc:alice');
    rows.push(await time(oidcUncachedRow, oidcUncached, bearer(idToken), Math.ceil(iterations / 5)));

    // Webhook token authentication against a local TokenReview server, over mutual TLS.
    const whCa = createCA({ commonName: 'bench-webhook-ca', now: new Date(), validityDays: 1 });
    const whServing = issueCert(whCa, { commonName: 'webhook', usage: 'server', now: new Date(), validityDays: 1 });
    const whClient = issueCert(whCa, { commonName: 'kube-apiserver', usage: 'client', now: new Date(), validityDays: 1 });
    webhook = await startTokenWebhook(whCa.certPem, whServing, 'webhook-token');
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    const kubeconfig = join(dir, 'webhook.kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'webhook', cluster: { server: webhook.url, 'certificate-authority-data': b64(whCa.certPem) } }],
      users: [{ name: 'apiserver', user: { 'client-certificate-data': b64(whClient.certPem), 'client-key-data': b64(whClient.keyPem) } }],
      contexts: [{ name: 'webhook', context: { cluster: 'webhook', user: 'apiserver' } }],
      'current-context': 'webhook',
    }));
    const whHit = new UnionAuthenticator([new BearerTokenAuthenticator([new WebhookTokenAuthenticator({ configFile: kubeconfig, now })])]);
    const whHitRow = 'webhook token, cache hit (default 2m TTL)';
    let before = webhook.reviews();
    await expectUser(whHitRow, whHit, bearer('webhook-token'), 'webhook-user');
    rows.push(await time(whHitRow, whHit, bearer('webhook-token'), iterations));
    if (webhook.reviews() - before !== 1) throw new Error(`${whHitRow}: the webhook was asked ${webhook.reviews() - before} times, want 1`);
    const whMiss = new UnionAuthenticator([new BearerTokenAuthenticator([new WebhookTokenAuthenticator({ configFile: kubeconfig, cacheTtlMs: 0, now })])]);
    const whMissRow = 'webhook token, cache miss (TTL 0: one TokenReview per call over a kept-alive mutual-TLS connection)';
    const missIterations = Math.min(2000, iterations);
    const missWarmup = 200;
    before = webhook.reviews();
    await expectUser(whMissRow, whMiss, bearer('webhook-token'), 'webhook-user');
    rows.push(await time(whMissRow, whMiss, bearer('webhook-token'), missIterations, missWarmup));
    if (webhook.reviews() - before !== 1 + missWarmup + missIterations) throw new Error(`${whMissRow}: the webhook was asked ${webhook.reviews() - before} times, want ${1 + missWarmup + missIterations}`);

    // Authenticating proxy: the proxy's client certificate from the request-header CA, identity in headers.
    const proxyCa = createCA({ commonName: 'bench-front-proxy-ca', now: new Date(), validityDays: 1 });
    const proxyCert = issueCert(proxyCa, { commonName: 'front-proxy-client', usage: 'client', now: new Date(), validityDays: 1 });
    const proxy = new UnionAuthenticator([new RequestHeaderAuthenticator({ clientCaPem: proxyCa.certPem, allowedNames: ['front-proxy-client'], now })]);
    const proxyReq: AuthnRequest = { headers: { 'x-remote-user': ['proxied-user'], 'x-remote-group': ['dev', 'ops'] }, socket: fakeSocket(proxyCert.certPem, { CN: 'front-proxy-client' }) };
    const proxyRow = 'authenticating proxy (X-Remote-User/Group; chain verdict cached per connection)';
    await expectUser(proxyRow, proxy, proxyReq, 'proxied-user');
    rows.push(await time(proxyRow, proxy, proxyReq, iterations));
    return { rows, note: 'µs per authenticate() call; the union adds system:authenticated as in a request' };
  } finally {
    await webhook?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await benchAuthn(), null, 2)}\n`);
