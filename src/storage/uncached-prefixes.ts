/**
 * Key prefixes the watch cache leaves to the store beneath it: no entries, no history; reads,
 * lists, watches and writes of those keys go to the store. Upstream's per-resource switch: a
 * `--watch-cache-sizes` entry of 0 (and kube-apiserver's defaults give Events 0) leaves the
 * resource's storage undecorated, served from etcd (apiserver options/etcd.go,
 * StorageFactoryRestOptionsFactory.GetRESTOptions).
 */
export class UncachedPrefixes {
  readonly prefixes: readonly string[];

  constructor(prefixes: readonly string[]) {
    for (const p of prefixes) if (typeof p !== 'string' || p === '') throw new RangeError(`an uncached prefix must be a non-empty key prefix, got ${JSON.stringify(p)}`);
    this.prefixes = [...prefixes];
  }

  get empty(): boolean {
    return this.prefixes.length === 0;
  }

  /** The key lies under one of the prefixes. */
  holds(key: string): boolean {
    for (const p of this.prefixes) if (key.startsWith(p)) return true;
    return false;
  }

  /**
   * A list or watch of `prefix` may see a key under one of the prefixes: it lies inside one, or
   * contains one ('' and '/registry/' contain every prefix). A prefix that reaches none sees no
   * such key: two key prefixes that share a key are one a prefix of the other.
   */
  reaches(prefix: string): boolean {
    for (const p of this.prefixes) if (prefix.startsWith(p) || p.startsWith(prefix)) return true;
    return false;
  }
}
