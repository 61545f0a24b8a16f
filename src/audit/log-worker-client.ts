/**
 * The API server's side of the audit log's worker thread (log-worker.ts): posts batches of opened
 * records, and hears back what was written, what failed and what the writer logged. The thread
 * keeps the process alive only while something posted is not yet written or a flush or close is
 * waiting, so an idle audit log never holds a process open, and a close is always answered.
 *
 * Should the thread die, everything not yet written and everything after is counted as failed
 * (the backend's errors, apiserver_audit_error_total) and logged: records are never dropped silently.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ChainWriterOptions } from './chain-writer.ts';

/** What the thread starts with: the writer's plain options, the key as PEM. */
export interface LogWorkerData {
  options: Omit<ChainWriterOptions, 'signingKey' | 'log' | 'stdout' | 'onWritten' | 'now'>;
  signingKey?: { pem: string; keyID: string };
}

export type ToLogWorker = { type: 'append'; opens: string[]; weight: number } | { type: 'flush' | 'close'; id: number };

export type FromLogWorker =
  | { type: 'written'; weight: number; records: number; ok: boolean }
  | { type: 'done'; id: number }
  | { type: 'log'; level: 'error' | 'warn'; obj: object; msg?: string };

export class LogWorkerClient {
  readonly #worker: Worker;
  readonly #onWritten: (weight: number, records: number, ok: boolean) => void;
  readonly #log: Pick<Logger, 'error' | 'warn'> | undefined;
  readonly #waiters = new Map<number, () => void>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  /** Posted weight and records not yet reported written. */
  #outWeight = 0;
  #outRecords = 0;
  #dead = false;
  /** A close was asked: the thread is waited for until it has exited. */
  #closing = false;

  constructor(data: LogWorkerData, onWritten: (weight: number, records: number, ok: boolean) => void, log?: Pick<Logger, 'error' | 'warn'>) {
    this.#onWritten = onWritten;
    this.#log = log;
    this.#worker = new Worker(new URL('./log-worker-entry.mjs', import.meta.url), { workerData: data });
    this.#worker.unref();
    this.#worker.on('message', (m: FromLogWorker) => this.#message(m));
    this.#worker.on('error', (err) => this.#die(err));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => (this.#die(undefined), resolve())));
  }

  append(opens: string[], weight: number): void {
    if (this.#dead) return this.#onWritten(weight, opens.length, false);
    this.#outWeight += weight;
    this.#outRecords += opens.length;
    this.#worker.postMessage({ type: 'append', opens, weight } satisfies ToLogWorker);
    this.#refresh();
  }

  flush(): Promise<void> {
    return this.#ask('flush');
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#ask('close');
    await this.#exited;
  }

  #ask(type: 'flush' | 'close'): Promise<void> {
    if (this.#dead) return Promise.resolve();
    const id = this.#nextId++;
    const done = new Promise<void>((resolve) => this.#waiters.set(id, resolve));
    this.#worker.postMessage({ type, id } satisfies ToLogWorker);
    this.#refresh();
    return done;
  }

  #message(m: FromLogWorker): void {
    if (m.type === 'written') {
      this.#outWeight -= m.weight;
      this.#outRecords -= m.records;
      this.#onWritten(m.weight, m.records, m.ok);
    } else if (m.type === 'done') {
      this.#waiters.get(m.id)?.();
      this.#waiters.delete(m.id);
    } else if (m.level === 'error') this.#log?.error(m.obj, m.msg);
    else this.#log?.warn(m.obj, m.msg);
    this.#refresh();
  }

  /** The thread failed or exited: what it had not written is failed, waiters are answered. */
  #die(err: Error | undefined): void {
    if (this.#dead) return;
    this.#dead = true;
    if (err || this.#outRecords > 0) this.#log?.error({ err, backend: 'log', lost: this.#outRecords }, 'audit log writer thread stopped: records not written are counted as errors');
    if (this.#outRecords > 0) this.#onWritten(this.#outWeight, this.#outRecords, false);
    this.#outWeight = 0;
    this.#outRecords = 0;
    for (const w of this.#waiters.values()) w();
    this.#waiters.clear();
  }

  /** Keeps the process alive exactly while something is outstanding. */
  #refresh(): void {
    if (this.#dead) return;
    if (this.#outWeight > 0 || this.#waiters.size > 0 || this.#closing) this.#worker.ref();
    else this.#worker.unref();
  }
}
