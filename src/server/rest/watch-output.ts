/**
 * The write side of one watch response, honouring the socket's backpressure: once res.write()
 * returns false nothing more is written until 'drain'. The caller pauses its event source
 * meanwhile, so what a client does not read waits in the store's bounded watcher queue (shared
 * values, not serialised copies) instead of piling up in this socket's buffer.
 */
import type { ServerResponse } from 'node:http';
import type { WatchRegistry } from './watch-limits.ts';

export class WatchOutput {
  private readonly res: ServerResponse;
  private readonly registry: WatchRegistry;
  private full = false;
  private ended = false;
  private drainWaiters: Array<(drained: boolean) => void> = [];
  private readonly onDrain: () => void;
  private readonly onWrite: ((bytes: number) => void) | undefined;

  /** `onDrain` runs each time a blocked socket has drained; `onWrite` is told each event's size. */
  constructor(res: ServerResponse, registry: WatchRegistry, onDrain: () => void, onWrite?: (bytes: number) => void) {
    this.res = res;
    this.registry = registry;
    this.onDrain = onDrain;
    this.onWrite = onWrite;
    res.on('drain', () => {
      if (!this.full || this.ended) return;
      this.setFull(false);
      this.settle(true);
      this.onDrain();
    });
  }

  /** True while the socket holds more than its high-water mark: write nothing more. */
  get blocked(): boolean {
    return this.full;
  }

  write(chunk: string | Uint8Array): void {
    if (this.ended) return;
    this.onWrite?.(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength);
    if (!this.res.write(chunk) && !this.full) this.setFull(true);
    this.registry.noteBuffered(this.res.writableLength);
  }

  /** Resolves true once writing may go on, false if the response ended first. */
  drained(): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    if (!this.full) return Promise.resolve(true);
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.full) this.setFull(false);
    this.settle(false);
    this.res.end();
  }

  private setFull(full: boolean): void {
    this.full = full;
    this.registry.stats.blocked += full ? 1 : -1;
  }

  private settle(drained: boolean): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w(drained);
  }
}
