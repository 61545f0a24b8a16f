/**
 * GET a small JSON document over HTTPS, for the discovery document and the JWKS, through the
 * shared HTTP client (src/util/http: a kept-alive agent per provider and CA from the process's
 * bounded pool). Bounded in time and size so a slow or hostile provider costs a request at most
 * MAX_BYTES and TIMEOUT_MS; no redirects are followed (go-oidc follows them, but a redirect is one
 * more place keys could come from).
 */
import { STATUS_CODES } from 'node:http';
import { sharedAgents } from '../../util/http/agent-pool.ts';
import { HttpClientError, send, urlTarget } from '../../util/http/send.ts';

export type FetchJson = (url: string) => Promise<unknown>;

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** `caPem` replaces the system roots, as upstream's certificateAuthority / --oidc-ca-file. */
export function httpsJsonFetcher(caPem?: string): FetchJson {
  return async (url) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') throw new Error(`refusing non-https URL ${url}`);
    const t = urlTarget(u);
    let res;
    try {
      res = await send({ agent: sharedAgents.agentFor(t.host, t.port, { caPem }), method: 'GET', ...t, headers: { accept: 'application/json' }, timeoutMs: TIMEOUT_MS, maxResponseBytes: MAX_BYTES });
    } catch (err) {
      if (err instanceof HttpClientError && err.kind === 'deadline') throw new Error(`${url}: timed out after ${TIMEOUT_MS} ms`);
      if (err instanceof HttpClientError && err.kind === 'too-large') throw new Error(`${url}: response larger than ${MAX_BYTES} bytes`);
      throw err;
    }
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim());
    try {
      return JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      throw new Error(`${url}: invalid JSON: ${(err as Error).message}`);
    }
  };
}
