/**
 * Quorum reads of a store's revision shared by the callers that arrive together: at most one is
 * in flight, and a caller arriving while one is gets the NEXT one, which starts after that one
 * ends (joining the one in flight could miss a write acknowledged after it was sent, just before
 * the caller arrived). However many reads come in, the store sees about one quorum read per
 * round trip.
 */
export class QuorumReads {
  readonly #read: () => Promise<number>;
  #inFlight: Promise<number> | undefined;
  #next: Promise<number> | undefined;

  constructor(read: () => Promise<number>) {
    this.#read = read;
  }

  /** A revision read by quorum after this call. */
  next(): Promise<number> {
    if (this.#next) return this.#next;
    if (!this.#inFlight) return this.#start();
    const settled = () => undefined;
    this.#next = this.#inFlight.then(settled, settled).then(() => {
      this.#next = undefined;
      return this.#start();
    });
    return this.#next;
  }

  #start(): Promise<number> {
    const p = this.#read();
    this.#inFlight = p;
    const done = () => {
      if (this.#inFlight === p) this.#inFlight = undefined;
    };
    p.then(done, done);
    return p;
  }
}
