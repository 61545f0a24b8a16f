/**
 * A fixed HTTPS endpoint named by a kubeconfig (the one kubeconfig reader, src/util/kubeconfig.ts:
 * server, certificate-authority, client certificate and key, token or tokenFile, tls-server-name)
 * that is sent JSON and answers JSON: the token and authorization webhooks. One keep-alive agent
 * per endpoint, as client-go's transport per rest.Config: a review costs a request, not a
 * mutual-TLS handshake.
 *
 * postJson fails closed with a typed error: HttpClientError (no answer: ./send.ts),
 * HttpStatusError (an answer outside 2xx, redirects included: none is followed), NotJsonError
 * (an answer that does not parse). Callers word them as their upstream does.
 */
import type https from 'node:https';
import type { ResolvedKubeconfig } from '../kubeconfig.ts';
import { TokenFileSource } from '../token-file-source.ts';
import { createAgent } from './agent-pool.ts';
import { send, urlTarget, type HttpResponse } from './send.ts';

/** The fields of a resolved kubeconfig an endpoint uses. */
export type EndpointConfig = Pick<ResolvedKubeconfig, 'url' | 'caPem' | 'certPem' | 'keyPem' | 'token' | 'tokenFile' | 'tlsServerName'>;

export class HttpStatusError extends Error {
  readonly status: number;
  /** The answer's body as text (what the caller may quote, shortened). */
  readonly body: string;
  constructor(status: number, body: string) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.body = body;
  }
}

export class NotJsonError extends Error {
  constructor(cause: unknown) {
    super('answer is not JSON', { cause });
    this.name = 'NotJsonError';
  }
}

export interface JsonEndpointOptions {
  userAgent?: string;
  /** Milliseconds since the epoch, for re-reading tokenFile (default Date.now). */
  now?: () => number;
}

export interface PostOptions {
  /** The whole exchange. */
  timeoutMs: number;
  maxResponseBytes: number;
}

export class JsonEndpoint {
  readonly url: URL;
  readonly #agent: https.Agent;
  readonly #target: { host: string; port: number; path: string };
  readonly #token: string | undefined;
  /** tokenFile, re-read about every minute as client-go's cached file token source. */
  readonly #tokenSource: TokenFileSource | undefined;
  readonly #userAgent: string | undefined;

  constructor(e: EndpointConfig, o: JsonEndpointOptions = {}) {
    if (e.url.protocol !== 'https:') throw new Error(`endpoint must be an https URL, got ${JSON.stringify(e.url.href)}`);
    this.url = e.url;
    this.#target = urlTarget(e.url);
    this.#agent = createAgent({ caPem: e.caPem, certPem: e.certPem, keyPem: e.keyPem, serverName: e.tlsServerName });
    this.#token = e.token;
    this.#tokenSource = e.tokenFile ? new TokenFileSource(e.tokenFile, { fallback: e.token, now: o.now }) : undefined;
    this.#userAgent = o.userAgent;
  }

  /** POSTs `body` (JSON text) and answers with any HTTP status. */
  post(body: string, o: PostOptions): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#userAgent) headers['user-agent'] = this.#userAgent;
    const bearer = this.#tokenSource ? this.#tokenSource.get() : this.#token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    return send({ agent: this.#agent, method: 'POST', ...this.#target, headers, body, timeoutMs: o.timeoutMs, maxResponseBytes: o.maxResponseBytes });
  }

  /** POSTs `value` as JSON and parses a 2xx answer; anything else throws (see the header). */
  async postJson(value: unknown, o: PostOptions): Promise<unknown> {
    const res = await this.post(JSON.stringify(value), o);
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status > 299) throw new HttpStatusError(res.status, text);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new NotJsonError(err);
    }
  }

  /** Closes the kept connections; requests in flight fail. */
  close(): void {
    this.#agent.destroy();
  }
}
