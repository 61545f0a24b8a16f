/**
 * One page of a Store list from etcd Range requests: at a fixed revision (the first page's, so
 * later pages read the same snapshot), from the continue position, `limit` items.
 *
 * Without a predicate one Range with the limit is the page, and etcd's `count` (keys in
 * [start, end) at that revision) gives remainingItemCount. With a predicate, as upstream's etcd3
 * store does, Ranges of at least 100 keys are read until `limit` values match or the range
 * ends, and the continue token resumes after the last key examined. A range that holds more than
 * the prefix (a group's resources live apart in etcd's layout: key-mapper.ts) is read the same way,
 * keeping the keys its filter accepts; keys that are not the store's are skipped.
 */
import { int } from './etcd-proto.ts';
import type { KeyValue, RangeRequest, RangeResponse, ResponseHeader } from './etcd-proto.ts';
import { encodeContinue } from '../continue-token.ts';
import { pageLimit } from '../page.ts';
import type { ListOptions, ListResult, StoredObject } from '../types.ts';
import type { EtcdRange } from './key-mapper.ts';

export interface ListRangeInput<T> {
  read(req: RangeRequest): Promise<RangeResponse>;
  /** undefined: no key can match (the prefix is outside the store's root). */
  range: EtcdRange | undefined;
  prefix: string;
  /** undefined: the current revision. */
  revision: number | undefined;
  opts: ListOptions;
  observe(header: ResponseHeader): number;
  /** undefined for a key that is not the store's. */
  toObject(kv: KeyValue): StoredObject<T> | undefined;
}

function after(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}

export async function listRange<T>(input: ListRangeInput<T>): Promise<ListResult<T>> {
  const { range, prefix, opts } = input;
  const limit = pageLimit(opts.limit);
  if (!range) {
    // Nothing to read, but the answer still names a revision: ask etcd for it.
    const res = await input.read({ key: Buffer.from([0]), limit: 1, count_only: true, revision: input.revision });
    input.observe(res.header);
    return { items: [], revision: input.revision ?? int(res.header.revision) };
  }
  const predicate = opts.predicate;
  const keyFilter = range.filter;
  // Pages of `limit` keys only when every key in the range counts.
  const sifted = predicate !== undefined || keyFilter !== undefined;
  const chunk = limit === 0 ? 0 : sifted ? Math.max(limit + 1, 100) : limit;
  let revision = input.revision;
  let from = range.key;
  const items: StoredObject<T>[] = [];
  let lastKey: string | undefined;
  let more = false;
  let total: number | undefined;
  for (;;) {
    const res = await input.read({ key: from, range_end: range.rangeEnd, revision: revision ?? 0, limit: chunk });
    const read = input.observe(res.header);
    // The first read fixes the revision every later chunk (and page) reads.
    revision ??= read;
    total ??= int(res.count);
    for (const kv of res.kvs) {
      if (limit > 0 && items.length >= limit) {
        more = true;
        break;
      }
      const obj = input.toObject(kv);
      if (!obj) continue;
      lastKey = obj.key;
      if (keyFilter && !keyFilter(obj.key)) continue;
      if (!predicate || predicate(obj.value)) items.push(obj);
    }
    if (more || !res.more || res.kvs.length === 0) break;
    if (!sifted) {
      // A plain page is one Range of `limit` keys: etcd's `more` says whether keys follow.
      more = true;
      break;
    }
    from = after(res.kvs[res.kvs.length - 1].key);
  }
  const result: ListResult<T> = { items, revision };
  if (more && lastKey !== undefined) {
    result.continue = encodeContinue(prefix, revision, lastKey);
    // As upstream: a count is only meaningful when every key counts.
    if (!sifted) result.remainingItemCount = total - items.length;
  }
  return result;
}
