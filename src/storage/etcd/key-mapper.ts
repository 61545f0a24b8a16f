/**
 * Where store keys live in etcd: kube-apiserver's --etcd-prefix.
 *
 * Store keys all begin with one root (`/registry` on the API server); upstream's layout puts a
 * resource at `<etcd-prefix>/<resource path>`, its --etcd-prefix defaulting to `/registry`. So
 * the root of a store key is replaced by the prefix: with the defaults a key is stored under
 * exactly its own name, and `--etcd-prefix /cluster-a` moves every key under `/cluster-a` (two
 * clusters may then share one etcd). The mapping is a bijection between keys under the root and
 * etcd keys under the prefix; a key outside the root has no place in etcd and is refused.
 *
 * etcd orders keys as bytes; UTF-8 bytes order as code points, the order every store keeps
 * (key-range.ts), so ranges and continue tokens mean the same thing here as in SQLite.
 */
import { compareKeys } from '../key-range.ts';
import { StorageError } from '../types.ts';

export interface EtcdRange {
  key: Buffer;
  /** Exclusive end; "\0" means every key from `key` on (etcd's convention). */
  rangeEnd: Buffer;
}

/** The smallest byte string greater than every string starting with `prefix` ("\0": no end). */
export function bytesPrefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

export class KeyMapper {
  readonly root: string;
  readonly prefix: string;

  constructor(root: string, prefix: string) {
    this.root = root;
    this.prefix = prefix;
  }

  /** The etcd key of a store key; 'Internal' for a key outside the root. */
  toEtcd(key: string): Buffer {
    if (!key.startsWith(this.root)) {
      throw new StorageError('Internal', `key ${JSON.stringify(key)} is outside the store root ${JSON.stringify(this.root)}`, { key });
    }
    return Buffer.from(this.prefix + key.slice(this.root.length), 'utf8');
  }

  /** The store key of an etcd key read under the prefix. */
  fromEtcd(key: Buffer): string {
    return this.root + key.toString('utf8').slice(this.prefix.length);
  }

  /**
   * The etcd range holding the store keys that start with `storePrefix` and are >= `start`
   * (a continue position), or undefined when no key of the root can match.
   */
  range(storePrefix: string, start = storePrefix): EtcdRange | undefined {
    let etcdPrefix: string;
    if (storePrefix.startsWith(this.root)) etcdPrefix = this.prefix + storePrefix.slice(this.root.length);
    else if (this.root.startsWith(storePrefix)) etcdPrefix = this.prefix; // every key of the root matches
    else return undefined;
    const prefixBytes = Buffer.from(etcdPrefix, 'utf8');
    let from: Buffer = prefixBytes;
    if (start.length > storePrefix.length) {
      // A continue position: inside the root it maps; before the root every key follows it, after it none.
      if (start.startsWith(this.root)) from = this.toEtcd(start);
      else if (compareKeys(start, this.root) > 0) return undefined;
    }
    const rangeEnd = prefixBytes.length === 0 ? Buffer.from([0]) : bytesPrefixEnd(prefixBytes);
    return { key: from.length === 0 ? Buffer.from([0]) : from, rangeEnd };
  }
}
