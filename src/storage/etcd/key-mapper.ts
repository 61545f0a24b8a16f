/**
 * Where store keys live in etcd: kube-apiserver's --etcd-prefix.
 *
 * Store keys all begin with one root (`/registry` on the API server); upstream's layout puts a
 * resource at `<etcd-prefix>/<resource path>`, its --etcd-prefix defaulting to `/registry`. So
 * the root of a store key is replaced by the prefix: with the defaults a key is stored under
 * exactly its own name, and `--etcd-prefix /cluster-a` moves every key under `/cluster-a` (two
 * clusters may then share one etcd). Under the API server's root the path below it follows
 * kube-apiserver's layout (etcd-layout.ts: `/registry/pods/<ns>/<name>`, not Portcullis'
 * `/registry/core/pods/...`). The mapping is a bijection between keys under the root and etcd keys
 * under the prefix; a key outside the root has no place in etcd and is refused, and an etcd key
 * that maps to no store key (another layout's) is not the store's.
 *
 * etcd orders keys as bytes. Within one resource the layout keeps the store's order (key-range.ts),
 * so a resource's ranges and continue tokens mean the same as in SQLite; a prefix spanning several
 * resources (a group) reads the whole registry in etcd's order, filtered (EtcdRange.filter).
 */
import { compareKeys } from '../key-range.ts';
import { StorageError } from '../types.ts';
import { IDENTITY_LAYOUT, upstreamLayout, type KeyLayout } from './etcd-layout.ts';

export interface EtcdRange {
  key: Buffer;
  /** Exclusive end; "\0" means every key from `key` on (etcd's convention). */
  rangeEnd: Buffer;
  /** Set when the range holds more than the prefix asked for: keep only the store keys it accepts. */
  filter?: (storeKey: string) => boolean;
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

/** The root whose keys follow kube-apiserver's layout in etcd. */
export const API_SERVER_ROOT = '/registry';

/** Parent paths remembered per direction: resources x namespaces, which clients grow, so bounded. */
const MAX_PARENTS = 4096;

/**
 * A layout direction asked once per parent path ("/core/configmaps/ns/") instead of once per key:
 * every write and every watch event maps a key, and the layout's splitting, lookups and round-trip
 * check cost microseconds where this costs a lookup. Sound because a layout keeps a path's last
 * segment as it is and maps its parent without looking at it (KeyLayout); a result that does not
 * end with the name is returned without being remembered.
 */
class ParentMemo {
  private readonly map: (rel: string) => string | undefined;
  private readonly parents = new Map<string, string | null>();

  constructor(map: (rel: string) => string | undefined) {
    this.map = map;
  }

  get(rel: string): string | undefined {
    const cut = rel.lastIndexOf('/') + 1;
    // No parent, or no name (a path ending in "/"): asked directly.
    if (cut === 0 || cut === rel.length) return this.map(rel);
    const parent = rel.slice(0, cut);
    let mapped = this.parents.get(parent);
    if (mapped === undefined) {
      const name = rel.slice(cut);
      const whole = this.map(rel);
      if (whole !== undefined && !whole.endsWith(`/${name}`)) return whole;
      mapped = whole === undefined ? null : whole.slice(0, whole.length - name.length);
      if (this.parents.size >= MAX_PARENTS) this.parents.clear();
      this.parents.set(parent, mapped);
    }
    return mapped === null ? undefined : mapped + rel.slice(cut);
  }
}

export class KeyMapper {
  readonly root: string;
  readonly prefix: string;
  readonly layout: KeyLayout;
  private readonly toLayout: ParentMemo;
  private readonly fromLayout: ParentMemo;

  /** `layout` defaults to upstream's for the API server's root, else keys keep their paths. */
  constructor(root: string, prefix: string, layout?: KeyLayout) {
    this.root = root;
    this.prefix = prefix;
    this.layout = layout ?? (root === API_SERVER_ROOT ? upstreamLayout() : IDENTITY_LAYOUT);
    const l = this.layout;
    this.toLayout = new ParentMemo((rel) => l.toEtcd(rel));
    this.fromLayout = new ParentMemo((rel) => l.fromEtcd(rel));
  }

  /** The etcd key of a store key; 'Internal' for a key outside the root or without a place in the layout. */
  toEtcd(key: string): Buffer {
    if (!key.startsWith(this.root)) {
      throw new StorageError('Internal', `key ${JSON.stringify(key)} is outside the store root ${JSON.stringify(this.root)}`, { key });
    }
    const rel = this.toLayout.get(key.slice(this.root.length));
    if (rel === undefined) throw new StorageError('Internal', `key ${JSON.stringify(key)} has no place in kube-apiserver's etcd layout`, { key });
    return Buffer.from(this.prefix + rel, 'utf8');
  }

  /** The store key of an etcd key read under the prefix; undefined when it is not one of the store's. */
  fromEtcd(key: Buffer): string | undefined {
    const text = key.toString('utf8');
    if (!text.startsWith(this.prefix)) return undefined;
    const rel = this.fromLayout.get(text.slice(this.prefix.length));
    return rel === undefined ? undefined : this.root + rel;
  }

  /**
   * The etcd range holding the store keys that start with `storePrefix` and are >= `start`
   * (a continue position), or undefined when no key of the root can match.
   */
  range(storePrefix: string, start = storePrefix): EtcdRange | undefined {
    let rel: string;
    if (storePrefix.startsWith(this.root)) rel = storePrefix.slice(this.root.length);
    else if (this.root.startsWith(storePrefix)) rel = ''; // every key of the root matches
    else return undefined;
    const mapped = this.layout.prefix(rel);
    if (!mapped) return undefined;
    const prefixBytes = Buffer.from(this.prefix + mapped.etcd, 'utf8');
    let from: Buffer = prefixBytes;
    if (start.length > storePrefix.length) {
      // A continue position: inside the root it maps; before the root every key follows it, after it none.
      if (start.startsWith(this.root)) {
        const at = this.layout.toEtcd(start.slice(this.root.length));
        if (at === undefined) throw new StorageError('InvalidContinue', `continue position ${JSON.stringify(start)} has no place in etcd`);
        from = Buffer.from(this.prefix + at, 'utf8');
      } else if (compareKeys(start, this.root) > 0) return undefined;
    }
    const rangeEnd = prefixBytes.length === 0 ? Buffer.from([0]) : bytesPrefixEnd(prefixBytes);
    const range: EtcdRange = { key: from.length === 0 ? Buffer.from([0]) : from, rangeEnd };
    if (!mapped.exact) range.filter = (k) => k.startsWith(storePrefix);
    return range;
  }
}
