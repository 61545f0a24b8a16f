/**
 * The ImageReview backend named by imagePolicy.kubeConfigFile, asked over the shared HTTPS
 * transport (src/cluster/client/transport.ts), named by the one kubeconfig reader (src/util/kubeconfig.ts).
 *
 * Retries follow upstream's GenericWebhook (DefaultRetryBackoffWithInitialDelay: the first wait
 * is retryBackoff, five attempts in all) as far as the shared transport allows: a review has no
 * side effect, so it is sent as an idempotent request, retried after 429, a 5xx (not 501) or a
 * failed connection. Each attempt has upstream's 30 s deadline. Errors are worded as client-go's
 * (`Post "<url>": ...`, `an error on the server ("...") has prevented the request from
 * succeeding`), since they end up in the pod's denial message.
 */
import { HttpsTransport } from '../../cluster/client/transport.ts';
import { loadKubeconfig } from '../../util/kubeconfig.ts';
import { goWords } from '../../util/http/go-words.ts';
import { API_SERVER_USER_AGENT } from '../../util/http/user-agent.ts';
import { imageReviewRequest, parseImageReviewStatus, type ImageReviewSpec, type ImageReviewStatus } from './image-review.ts';

const REQUEST_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Upstream's backoff has 5 steps: one attempt and four retries. */
const RETRIES = 4;

export interface BackendClientOptions {
  kubeConfigFile: string;
  retryBackoffMs: number;
  /** For tests: a shorter per-attempt deadline. */
  requestTimeoutMs?: number;
}

/** client-go's NewGenericServerResponse wording for an answer that is not a Status. */
const GENERIC: Record<number, string> = {
  400: 'the server rejected our request for an unknown reason',
  401: 'Unauthorized',
  404: 'the server could not find the requested resource',
  405: 'the server does not allow this method on the requested resource',
  409: 'the server reported a conflict',
  429: 'the server has received too many requests and has asked us to try again later',
  503: 'the server is currently unable to handle the request',
  504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
};

function failureMessage(status: number, body: string, contentType: string): string {
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string };
    if (s.kind === 'Status' && typeof s.message === 'string' && s.message !== '') return s.message;
  } catch {
    // not a Status: worded by its code below
  }
  const text = contentType.startsWith('text/') ? body.trim().slice(0, 1024) : 'unknown';
  if (status === 500) return `an error on the server (${JSON.stringify(text)}) has prevented the request from succeeding`;
  if (status === 403) return text;
  return GENERIC[status] ?? `an error on the server (${JSON.stringify(text)}) has prevented the request from succeeding`;
}

export class ImageReviewBackend {
  readonly url: URL;
  readonly #transport: HttpsTransport;
  readonly #path: string;

  /** Reads the kubeconfig now: a bad one fails the server's start, never a request. */
  constructor(o: BackendClientOptions) {
    const ep = loadKubeconfig(o.kubeConfigFile, 'ImagePolicyWebhook kubeconfig');
    const where = `ImagePolicyWebhook kubeconfig '${o.kubeConfigFile}'`;
    // The shared transport always verifies the backend against a named CA and always presents a
    // credential; upstream would fall back to the system roots and to no credential.
    if (!ep.caPem) throw new Error(`${where}: certificate-authority is required`);
    if (!ep.certPem && !ep.token) throw new Error(`${where}: the user needs a client certificate or a token`);
    this.url = ep.url;
    this.#path = `${ep.url.pathname}${ep.url.search}`;
    this.#transport = new HttpsTransport({
      server: ep.url.origin,
      identity: { caPem: ep.caPem, certPem: ep.certPem, keyPem: ep.keyPem, token: ep.token, tokenFile: ep.tokenFile, serverName: ep.tlsServerName },
      userAgent: API_SERVER_USER_AGENT,
      maxRetries: RETRIES,
      backoffInitialMs: o.retryBackoffMs,
      backoffMaxMs: 5 * 60_000,
      requestTimeoutMs: o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      attemptDeadlineMs: o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
  }

  /** The backend's verdict; rejects with the failure in client-go's words. */
  async review(spec: ImageReviewSpec): Promise<ImageReviewStatus> {
    let res;
    try {
      res = await this.#transport.request({
        method: 'POST',
        path: this.#path,
        headers: { 'content-type': 'application/json', accept: 'application/json, */*' },
        body: JSON.stringify(imageReviewRequest(spec)),
        idempotent: true,
      });
    } catch (err) {
      throw new Error(`Post ${JSON.stringify(this.url.href)}: ${goWords(err, this.url.hostname, Number(this.url.port || 443), { clientTimeout: true })}`);
    }
    const body = res.body.toString('utf8');
    if (res.status < 200 || res.status > 299) throw new Error(failureMessage(res.status, body, String(res.headers['content-type'] ?? '')));
    return parseImageReviewStatus(body);
  }

  close(): void {
    this.#transport.close();
  }
}
