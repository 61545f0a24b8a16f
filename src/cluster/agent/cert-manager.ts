/**
 * The kubelet's certificate manager (client-go util/certificate): a certificate is renewed at a
 * random point between 70 % and 90 % of its lifetime (notBefore + jitter, so a fleet of nodes
 * joined together does not renew together), through a new key and a CertificateSigningRequest
 * made as the node itself (for the node's client and serving certificates and for its network
 * plugin's identity, whose subject is given); a failed attempt is retried with backoff. Without a certificate (the
 * serving certificate's first request) it asks at once. Time and randomness are injected.
 */
import { backoffDelay, realTimers, type Timers } from '../client/timers.ts';
import type { ApiClient } from '../client/types.ts';
import { createCsr, waitForCertificate } from './certificate-request.ts';
import { certRequest, nodeSubject, storeCert, type CertKind, type NodeCertRequest, type StoredCert } from './node-certificates.ts';

/** Timers wait at most this long at once (setTimeout overflows past 2^31-1 ms, about 24.8 days). */
const MAX_WAIT_MS = 24 * 3_600_000;

/** nextRotationDeadline: notBefore + lifetime × (0.7 + 0.2 × random). */
export function rotationDeadline(c: Pick<StoredCert, 'notBefore' | 'notAfter'>, random: () => number): number {
  const total = c.notAfter.getTime() - c.notBefore.getTime();
  return c.notBefore.getTime() + Math.round(total * 0.7 + total * 0.2 * random());
}

export interface CertManagerOptions {
  kind: CertKind;
  nodeName: string;
  dataDir: string;
  signerName: string;
  usages: readonly string[];
  /** The subject requested (default: the node's own, system:node:<name> in system:nodes). */
  subject?: NodeCertRequest['subject'];
  /** The serving certificate's names and addresses. */
  sans?: { dnsNames: string[]; ipAddresses: string[] };
  /** The current certificate; undefined: request one at once. */
  current?: StoredCert;
  /** The client requests are made with (the node's own identity, which may itself rotate). */
  client: () => ApiClient;
  onRotated(c: StoredCert): void;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  now?: () => number;
  random?: () => number;
  timers?: Timers;
  /** How often a pending request is polled (default 500 ms). */
  pollMs?: number;
  /** How long one request may wait for approval before a new one is filed (default 1 h). */
  waitMs?: number;
}

export class CertManager {
  #o: CertManagerOptions;
  #current?: StoredCert;
  #timer?: unknown;
  #stopped = false;
  #failures = 0;
  #abort = new AbortController();
  #timers: Timers;
  #now: () => number;
  #random: () => number;

  constructor(o: CertManagerOptions) {
    this.#o = o;
    this.#current = o.current;
    this.#timers = o.timers ?? realTimers;
    this.#now = o.now ?? Date.now;
    this.#random = o.random ?? Math.random;
  }

  get current(): StoredCert | undefined {
    return this.#current;
  }

  /** When the next renewal is due (ms since the epoch), or now when there is no certificate. */
  deadline(): number {
    return this.#current ? rotationDeadline(this.#current, this.#random) : this.#now();
  }

  start(): void {
    this.#schedule(this.deadline());
  }

  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
  }

  #schedule(at: number): void {
    if (this.#stopped) return;
    const wait = at - this.#now();
    if (wait > MAX_WAIT_MS) {
      this.#timer = this.#timers.setTimeout(() => this.#schedule(at), MAX_WAIT_MS);
      return;
    }
    this.#timer = this.#timers.setTimeout(() => void this.#rotate(), Math.max(0, wait));
  }

  async #rotate(): Promise<void> {
    const o = this.#o;
    try {
      const req = certRequest(o.subject ?? nodeSubject(o.nodeName), o.sans);
      const client = o.client();
      const name = await createCsr(client, { request: req.request, signerName: o.signerName, usages: o.usages });
      o.log.info({ csr: name, kind: o.kind }, 'certificate signing request filed');
      const certPem = await waitForCertificate(client, name, { timers: this.#timers, pollMs: o.pollMs, signal: this.#abort.signal, timeoutMs: o.waitMs ?? 3_600_000 });
      if (this.#stopped) return;
      const stored = storeCert(o.dataDir, o.kind, certPem, req.keyPem);
      this.#current = stored;
      this.#failures = 0;
      o.log.info({ kind: o.kind, notAfter: stored.notAfter.toISOString() }, 'certificate rotated');
      o.onRotated(stored);
      this.#schedule(rotationDeadline(stored, this.#random));
    } catch (err) {
      if (this.#stopped) return;
      const delay = backoffDelay(this.#failures++, 2_000, 300_000, this.#random);
      o.log.warn({ err: (err as Error).message, kind: o.kind, retryInMs: Math.round(delay) }, 'certificate rotation failed');
      this.#schedule(this.#now() + delay);
    }
  }
}
