/**
 * Pod IPs of one simulated node from its /24 (x.y.z.2 - x.y.z.254; .1 is the bridge by habit).
 * Bounded by the CIDR: an exhausted pool answers undefined and the pod waits, as a kubelet whose
 * CNI has no address left does.
 */
export class IpPool {
  private readonly base: string;
  private readonly used = new Map<string, number>();
  private readonly free: number[] = [];

  constructor(cidr: string) {
    const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
    if (!m) throw new Error(`ip pool: only x.y.z.0/24 CIDRs, got ${cidr}`);
    this.base = m[1]!;
    for (let h = 254; h >= 2; h--) this.free.push(h);
  }

  /** The address of `owner` (a pod key): the one it holds, or a new one. */
  allocate(owner: string): string | undefined {
    let h = this.used.get(owner);
    if (h === undefined) {
      h = this.free.pop();
      if (h === undefined) return undefined;
      this.used.set(owner, h);
    }
    return `${this.base}.${h}`;
  }

  /** Takes back an address the owner held (on a restart: the one its status already names). */
  claim(owner: string, ip: string): boolean {
    if (this.used.has(owner)) return true;
    if (!ip.startsWith(`${this.base}.`)) return false;
    const h = Number(ip.slice(this.base.length + 1));
    const i = this.free.indexOf(h);
    if (i < 0) return false;
    this.free.splice(i, 1);
    this.used.set(owner, h);
    return true;
  }

  release(owner: string): void {
    const h = this.used.get(owner);
    if (h === undefined) return;
    this.used.delete(owner);
    this.free.push(h);
  }

  get inUse(): number {
    return this.used.size;
  }
}
