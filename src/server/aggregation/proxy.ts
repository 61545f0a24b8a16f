/**
 * Proxies one request for an aggregated group/version to its APIService's backend: the body as
 * received, the response streamed back as it comes (watches included). Upgrades (exec, attach,
 * port-forward through an aggregated API) are not proxied.
 */
import type { ClientRequest, IncomingHttpHeaders, ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.ts';
import type { UserInfo } from '../../authn/types.ts';
import { statusFromError, statusJson } from '../status.ts';
import type { Endpoint } from './endpoint.ts';
import { backendRequest, CONNECT_TIMEOUT_MS, type BackendRequest, type ProxyClientCert } from './transport.ts';

type Obj = Record<string, any>;

export const serviceUnavailable = (): ApiError => new ApiError(503, 'ServiceUnavailable', 'service unavailable');

export interface ProxyCall {
  apiService: Obj;
  endpoint: Endpoint;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body?: Buffer;
  user: UserInfo;
  proxyClientCert?: ProxyClientCert;
  /** Where verified connections come from (default the aggregator's pool). */
  agents?: BackendRequest['agents'];
}

function writeError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const s = statusFromError(err);
  res.writeHead(s.code, { 'content-type': 'application/json' });
  res.end(statusJson(s));
}

/** Methods Go's transport sends again when a kept-alive connection turns out closed (isReplayable). */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Streams the backend's answer into `res`; resolves when the exchange is over either way. */
export function proxyTo(call: ProxyCall, res: ServerResponse): Promise<void> {
  return new Promise((done) => {
    let out: ClientRequest | undefined;
    const attempt = (retried: boolean) => {
      let req: ClientRequest;
      try {
        req = out = backendRequest(call);
      } catch {
        // Node refuses a header it cannot send (a user name or extra value with a line break, from
        // an authenticator that allows one): this request fails, as Go's transport fails it.
        writeError(res, serviceUnavailable());
        return done();
      }
      // The timeout guards the connection and the response headers only: a watch may stay quiet for long.
      req.setTimeout(CONNECT_TIMEOUT_MS, () => req.destroy(new Error('timeout awaiting response headers')));
      req.on('response', (backend) => {
        req.setTimeout(0);
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(backend.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade'].includes(k)) headers[k] = v;
        res.writeHead(backend.statusCode ?? 502, headers);
        backend.pipe(res);
        backend.on('end', () => done());
        backend.on('error', () => {
          res.destroy();
          done();
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the backend had just closed: once more on a new one, as Go's
        // transport does for a request it can replay (the body is held here whole).
        const stale = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        if (stale && !retried && !res.headersSent && !res.destroyed && REPLAYABLE.has(call.method)) return attempt(true);
        writeError(res, serviceUnavailable());
        done();
      });
      req.end(call.body && call.body.length > 0 ? call.body : undefined);
    };
    // A client that goes away ends the backend request too (a no-op once its answer is complete).
    res.on('close', () => {
      out?.destroy();
      done();
    });
    attempt(false);
  });
}
