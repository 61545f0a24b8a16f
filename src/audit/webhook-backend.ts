/**
 * The webhook backend (--audit-webhook-config-file), batched as upstream's buffered backend:
 * events wait in a bounded buffer (--audit-webhook-batch-buffer-size, default 10000) and go out
 * as an audit.k8s.io/v1 EventList when a batch is full (--audit-webhook-batch-max-size, default
 * 400) or has waited long enough (--audit-webhook-batch-max-wait, default 30 s).
 *
 * The request path only pushes into the buffer: when it is full the event is dropped, counted and
 * logged (rate-limited), never waited for. One batch is in flight at a time, with a deadline, so
 * a webhook that accepts connections and never answers costs one pending request and the buffer,
 * nothing more. A failed batch is counted as errors and not retried: retrying would let a dead
 * sink hold events beyond the buffer's bound.
 *
 * The HTTP client is the shared transport of the cluster client (keep-alive, mutual TLS); the
 * endpoint is read with the one kubeconfig reader (src/util/kubeconfig.ts).
 */
import type { Logger } from 'pino';
import { HttpsTransport } from '../cluster/client/transport.ts';
import { loadKubeconfig } from '../util/kubeconfig.ts';
import { API_SERVER_USER_AGENT } from '../util/http/user-agent.ts';
import type { AuditBackend, AuditEvent, BackendStats } from './types.ts';

export interface WebhookBackendOptions {
  configFile: string;
  bufferSize?: number;
  maxBatchSize?: number;
  maxBatchWaitMs?: number;
  /** Deadline of one POST (default 30 s, upstream's webhook client timeout). */
  requestTimeoutMs?: number;
  /** How long close() waits for the webhook in all (default 5 s). */
  closeWaitMs?: number;
  now?: () => number;
  log?: Pick<Logger, 'error' | 'warn'>;
}

export class WebhookBackend implements AuditBackend {
  readonly name = 'webhook';
  readonly #transport: HttpsTransport;
  readonly #path: string;
  readonly #bufferSize: number;
  readonly #maxBatch: number;
  readonly #maxWait: number;
  readonly #now: () => number;
  readonly #log: Pick<Logger, 'error' | 'warn'> | undefined;
  readonly #closeWaitMs: number;
  #buffer: AuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;
  #closed = false;
  #lastDropLog = 0;
  #stats: BackendStats = { events: 0, dropped: 0, errors: 0 };

  /** Reads and checks the kubeconfig now: a bad file fails the start. */
  constructor(o: WebhookBackendOptions) {
    this.#bufferSize = positive(o.bufferSize ?? 10_000, 'audit-webhook-batch-buffer-size');
    this.#maxBatch = positive(o.maxBatchSize ?? 400, 'audit-webhook-batch-max-size');
    this.#maxWait = o.maxBatchWaitMs ?? 30_000;
    if (!(this.#maxWait > 0) || !Number.isFinite(this.#maxWait)) throw new Error(`--audit-webhook-batch-max-wait must be positive, got ${this.#maxWait} ms`);
    this.#now = o.now ?? Date.now;
    this.#log = o.log;
    this.#closeWaitMs = o.closeWaitMs ?? 5_000;
    const ep = loadKubeconfig(o.configFile, 'audit webhook config');
    if (!ep.caPem) throw new Error(`audit webhook config '${o.configFile}': certificate-authority is required (the webhook's certificate is always verified against it)`);
    if (!ep.certPem && !ep.token) throw new Error(`audit webhook config '${o.configFile}': the user needs a client certificate or a token (audit records are sent only to an endpoint that authenticates this server)`);
    this.#transport = new HttpsTransport({
      server: ep.url.origin,
      identity: { caPem: ep.caPem, certPem: ep.certPem, keyPem: ep.keyPem, token: ep.token, tokenFile: ep.tokenFile, serverName: ep.tlsServerName },
      userAgent: API_SERVER_USER_AGENT,
      maxRetries: 0,
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
      // The whole POST, as upstream's client Timeout: a sink that trickles its answer holds one batch that long at most.
      attemptDeadlineMs: o.requestTimeoutMs ?? 30_000,
      maxResponseBytes: 1024 * 1024,
    });
    this.#path = `${ep.url.pathname}${ep.url.search}`;
  }

  processEvents(events: readonly AuditEvent[]): void {
    for (const ev of events) {
      if (this.#closed || this.#buffer.length >= this.#bufferSize) {
        this.#drop();
        continue;
      }
      this.#buffer.push(ev);
      this.#stats.events++;
    }
    if (this.#buffer.length >= this.#maxBatch) this.#send();
    else if (this.#buffer.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#send();
      }, this.#maxWait);
      this.#timer.unref();
    }
  }

  stats(): BackendStats {
    return { ...this.#stats };
  }

  /** Events waiting in the buffer (for tests and metrics). */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Sends what is buffered (one last batch), waits for it within its deadline, and stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A stop waits for the webhook at most this long in all, then gives up what is left (counted).
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.#closeWaitMs).unref());
    await Promise.race([this.#inflight, deadline]);
    if (this.#buffer.length > 0 && !this.#inflight) this.#send(true);
    await Promise.race([this.#inflight, deadline]);
    this.#stats.dropped += this.#buffer.splice(0).length;
    // Ends a request still in flight: its batch is counted as failed.
    this.#transport.close();
    await this.#inflight;
  }

  #drop(): void {
    this.#stats.dropped++;
    const now = this.#now();
    if (now - this.#lastDropLog > 10_000) {
      this.#lastDropLog = now;
      this.#log?.error({ backend: 'webhook', dropped: this.#stats.dropped }, this.#closed ? 'audit webhook backend closed: events dropped' : 'audit webhook buffer full: events dropped');
    }
  }

  #send(final = false): void {
    if (this.#inflight || (this.#closed && !final) || this.#buffer.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#buffer.splice(0, this.#maxBatch);
    this.#inflight = this.#post(batch).finally(() => {
      this.#inflight = undefined;
      // More than a batch arrived meanwhile: send on; less waits for the timer.
      if (this.#buffer.length >= this.#maxBatch) this.#send();
      else if (this.#buffer.length > 0 && !this.#closed) this.processEvents([]);
    });
  }

  async #post(batch: AuditEvent[]): Promise<void> {
    const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: batch });
    try {
      const res = await this.#transport.request({ method: 'POST', path: this.#path, headers: { 'content-type': 'application/json', accept: 'application/json' }, body, idempotent: false });
      if (res.status < 200 || res.status > 299) throw new Error(`the webhook answered ${res.status}`);
    } catch (err) {
      this.#stats.errors += batch.length;
      this.#log?.error({ backend: 'webhook', err: (err as Error).message, events: batch.length }, 'audit webhook batch failed');
    }
  }
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${what} must be a positive integer, got ${n}`);
  return n;
}
