/**
 * GET a small JSON document over HTTPS, for the discovery document and the JWKS. Bounded in time
 * and size so a slow or hostile provider costs a request at most MAX_BYTES and TIMEOUT_MS; no
 * redirects are followed (go-oidc follows them, but a redirect is one more place keys could come from).
 */
import { request } from 'node:https';

export type FetchJson = (url: string) => Promise<unknown>;

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** `caPem` replaces the system roots, as upstream's certificateAuthority / --oidc-ca-file. */
export function httpsJsonFetcher(caPem?: string): FetchJson {
  return (url) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      if (u.protocol !== 'https:') return reject(new Error(`refusing non-https URL ${url}`));
      const req = request(u, { method: 'GET', headers: { accept: 'application/json' }, ...(caPem ? { ca: caPem } : {}), timeout: TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BYTES) {
            req.destroy(new Error(`${url}: response larger than ${MAX_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(new Error(`${url}: invalid JSON: ${(err as Error).message}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${url}: timed out after ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
}
