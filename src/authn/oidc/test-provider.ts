/**
 * A local OpenID provider for the tests: HTTPS on 127.0.0.1 with a certificate from our own CA,
 * serving the discovery document and JWKS, signing tokens with jose. Keys can be rotated and the
 * provider switched "down" (every request a 503) to exercise refetch and fail-closed paths.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { createCA, type CertKeyPem } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newSigningKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export class TestProvider {
  readonly ca: CertKeyPem;
  issuer = '';
  keys: SigningKey[] = [];
  down = false;
  /** Overrides the issuer the discovery document announces. */
  announcedIssuer: string | undefined;
  jwksRequests = 0;
  discoveryRequests = 0;
  readonly #server: Server;

  private constructor(ca: CertKeyPem, server: Server) {
    this.ca = ca;
    this.#server = server;
  }

  static async start(now: Date): Promise<TestProvider> {
    const ca = createCA({ commonName: 'oidc-test-ca', now, validityDays: 2 });
    const leaf = issueCert(ca, { commonName: 'oidc-provider', usage: 'server', now, validityDays: 2 });
    let self: TestProvider | undefined;
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      const p = self!;
      if (p.down) {
        res.writeHead(503).end('down');
        return;
      }
      if (req.url === '/.well-known/openid-configuration' || req.url === '/custom-discovery') {
        p.discoveryRequests++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: p.announcedIssuer ?? p.issuer, jwks_uri: `${p.issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
        return;
      }
      if (req.url === '/jwks') {
        p.jwksRequests++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: p.keys.map((k) => k.publicJwk) }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new TestProvider(ca, server);
    self.issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    self.keys = [await newSigningKey('key-1')];
    return self;
  }

  /** A token signed with `key` (default: the first current key) with `kid` in the header. */
  async sign(claims: JWTPayload, opts: { key?: SigningKey; kid?: string | null; alg?: string } = {}): Promise<string> {
    const key = opts.key ?? this.keys[0]!;
    const kid = opts.kid === null ? undefined : (opts.kid ?? key.kid);
    return new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'RS256', ...(kid ? { kid } : {}) }).sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
