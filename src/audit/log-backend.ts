/**
 * The log backend (--audit-log-path): one JSON line per record, hash-chained and periodically
 * signed (chain.ts), rotated by size with lumberjack's names and retention (chain-writer.ts).
 *
 * On the request's thread, processEvents only serialises each record (chain.ts openRecord) and
 * queues it: a request never waits on the disk. Every writeDelayMs (default 20 ms) the queued
 * records go in one batch to the writer (chain-writer.ts), which hashes, signs, writes and rotates
 * in a worker thread of its own (log-worker.ts), off the API server's event loop; the path '-'
 * (standard output) is written on this thread. The queue is bounded (maxQueueBytes counts records
 * queued here or at the writer and not yet written; for '-', not yet taken by the stream, which a
 * stalled pipe reader would otherwise grow without limit); past it an event is dropped before it is
 * chained (so the chain has no hole), counted and logged. A crash loses what was not yet written.
 */
import type { Logger } from 'pino';
import { openRecord } from './chain.ts';
import { ChainWriter, lastRecordHash, type ChainWriterOptions } from './chain-writer.ts';
import { LogWorkerClient } from './log-worker-client.ts';
import type { AuditBackend, AuditEvent, BackendStats } from './types.ts';

/** A queue this large goes to the writer at once, without waiting for writeDelayMs. */
const SEND_NOW_BYTES = 256 * 1024;

/** The writer's options (chain-writer.ts: path, rotation, signing, clock, logger, stdout), and the queue's. */
export interface LogBackendOptions extends Omit<ChainWriterOptions, 'prev' | 'onWritten'> {
  /** Bound on records not yet written, in characters of their JSON (default 64 MiB). */
  maxQueueBytes?: number;
  /** How long queued records wait to go to the writer with the ones that follow (default 20 ms; 0: none). */
  writeDelayMs?: number;
  /**
   * Where the writer runs: 'worker' (default for a file) or 'main' (this thread; always for '-').
   * The writer's file writes are synchronous, which only a thread of its own makes harmless: 'main'
   * with a file is for tests, whose injected clock (now) cannot cross to a worker.
   */
  thread?: 'worker' | 'main';
}

interface Writer {
  append(opens: string[], weight: number): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class LogBackend implements AuditBackend {
  readonly name = 'log';
  readonly #writer: Writer;
  readonly #maxQueueBytes: number;
  readonly #writeDelayMs: number;
  readonly #now: () => number;
  readonly #log: Pick<Logger, 'error' | 'warn'> | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;
  /** Characters of records accepted and not yet written (here or at the writer). */
  #unwritten = 0;
  #delay: NodeJS.Timeout | undefined;
  #closed = false;
  #lastDropLog = 0;
  #stats: BackendStats = { events: 0, dropped: 0, errors: 0 };

  constructor(o: LogBackendOptions) {
    this.#maxQueueBytes = o.maxQueueBytes ?? 64 * 1024 * 1024;
    this.#writeDelayMs = o.writeDelayMs ?? 20;
    this.#now = o.now ?? Date.now;
    this.#log = o.log;
    const thread = o.path === '-' ? 'main' : (o.thread ?? 'worker');
    if (thread === 'worker' && o.now) throw new Error("LogBackend: an injected clock (now) needs thread 'main'");
    // Read here, so that an unreadable log fails the start rather than the first write.
    const options: ChainWriterOptions = { path: o.path, maxSizeBytes: o.maxSizeBytes, maxBackups: o.maxBackups, maxAgeDays: o.maxAgeDays, checkpointEvery: o.checkpointEvery, checkpointIntervalMs: o.checkpointIntervalMs, prev: o.path === '-' ? undefined : lastRecordHash(o.path) };
    const onWritten = (weight: number, records: number, ok: boolean) => {
      this.#unwritten -= weight;
      if (!ok) this.#stats.errors += records;
    };
    if (thread === 'main') this.#writer = new ChainWriter({ ...options, signingKey: o.signingKey, now: o.now, log: o.log, stdout: o.stdout, onWritten });
    else {
      const key = o.signingKey ? { pem: o.signingKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), keyID: o.signingKey.keyID } : undefined;
      this.#writer = new LogWorkerClient({ options, signingKey: key }, onWritten, o.log);
    }
  }

  processEvents(events: readonly AuditEvent[]): void {
    for (const ev of events) {
      if (this.#closed || this.#unwritten > this.#maxQueueBytes) {
        this.#drop();
        continue;
      }
      const open = openRecord(ev);
      this.#pending.push(open);
      this.#pendingBytes += open.length;
      this.#unwritten += open.length;
      this.#stats.events++;
    }
    this.#kick();
  }

  stats(): BackendStats {
    return { ...this.#stats };
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    this.#send();
    await this.#writer.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return this.flush();
    this.#closed = true;
    this.#send();
    // The writer signs the tail of the chain before it lets the file go.
    await this.#writer.close();
  }

  #drop(): void {
    this.#stats.dropped++;
    const now = this.#now();
    if (now - this.#lastDropLog > 10_000) {
      this.#lastDropLog = now;
      this.#log?.error({ backend: 'log', dropped: this.#stats.dropped }, this.#closed ? 'audit log backend closed: events dropped' : 'audit log backend queue full: events dropped');
    }
  }

  /** Sends what is queued after writeDelayMs, or at once when the queue is large already. */
  #kick(): void {
    if (this.#delay || this.#pending.length === 0) return;
    if (this.#writeDelayMs <= 0 || this.#pendingBytes >= SEND_NOW_BYTES) return this.#send();
    this.#delay = setTimeout(() => this.#send(), this.#writeDelayMs);
  }

  #send(): void {
    clearTimeout(this.#delay);
    this.#delay = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writer.append(batch, bytes);
  }
}
