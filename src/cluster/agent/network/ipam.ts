/**
 * Pod addresses from the node's podCIDR, one per pod UID, written to a file before they are used
 * (atomically: temp file + rename), so an agent restart never hands out an address a live pod
 * holds. Addresses are handed out round-robin after the last one given, so a released address is
 * not reused at once (a peer's conntrack or a stale endpoint may still point at it).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cidrToSet, formatIPv4 } from '../../netpol/ipv4.ts';
import { canonicalCIDR } from '../../../util/ip-sloppy.ts';

interface State {
  cidr: string;
  next: number;
  byUid: Record<string, string>;
}

export class PodAddressAllocator {
  readonly #file: string;
  readonly #first: number;
  readonly #last: number;
  #state: State;

  constructor(podCIDR: string, stateFile: string) {
    const set = cidrToSet(podCIDR);
    if (!set || set.isEmpty) throw new Error(`podCIDR ${JSON.stringify(podCIDR)} is not an IPv4 CIDR`);
    const [start, end] = set.intervals[0]!;
    // Network and broadcast addresses excluded, and .1 (the node side by convention).
    this.#first = start + 2;
    this.#last = end - 1;
    if (this.#last < this.#first) throw new Error(`podCIDR ${podCIDR} is too small for pods`);
    this.#file = stateFile;
    const loaded = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as State) : undefined;
    if (loaded && (canonicalCIDR(loaded.cidr) ?? loaded.cidr) !== (canonicalCIDR(podCIDR) ?? podCIDR)) throw new Error(`${stateFile} holds addresses of ${loaded.cidr}, not of the node's podCIDR ${podCIDR}: remove it only once no pod of the old range runs`);
    this.#state = loaded ?? { cidr: podCIDR, next: this.#first, byUid: {} };
  }

  /** The pod's address: the one it has, or a new one (persisted before it is returned). */
  allocate(uid: string): string {
    const have = this.#state.byUid[uid];
    if (have) return have;
    const used = new Set(Object.values(this.#state.byUid));
    const size = this.#last - this.#first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.#first + ((this.#state.next - this.#first + i) % size);
      const ip = formatIPv4(n);
      if (used.has(ip)) continue;
      this.#save({ ...this.#state, next: n + 1 > this.#last ? this.#first : n + 1, byUid: { ...this.#state.byUid, [uid]: ip } });
      return ip;
    }
    throw new Error(`no free address in ${this.#state.cidr} (${size} in use)`);
  }

  release(uid: string): void {
    if (!(uid in this.#state.byUid)) return;
    const byUid = { ...this.#state.byUid };
    delete byUid[uid];
    this.#save({ ...this.#state, byUid });
  }

  addressOf(uid: string): string | undefined {
    return this.#state.byUid[uid];
  }

  allocated(): Readonly<Record<string, string>> {
    return this.#state.byUid;
  }

  #save(s: State): void {
    const tmp = `${this.#file}.tmp`;
    writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
    renameSync(tmp, this.#file);
    this.#state = s;
  }
}
