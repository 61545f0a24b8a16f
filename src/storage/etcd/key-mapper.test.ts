import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesPrefixEnd, KeyMapper } from './key-mapper.ts';
import { StorageError } from '../types.ts';

const s = (b: Buffer | undefined) => b?.toString('utf8');

test('bytesPrefixEnd: the next byte string after every string with the prefix', () => {
  assert.deepEqual(bytesPrefixEnd(Buffer.from('/a/')), Buffer.from('/a0'));
  assert.deepEqual(bytesPrefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(bytesPrefixEnd(Buffer.from([0xff])), Buffer.from([0]), 'no end: etcd\'s "\\0"');
});

test('the store root is replaced by the etcd prefix, both ways', () => {
  const m = new KeyMapper('/registry', '/cluster-a');
  assert.equal(s(m.toEtcd('/registry/core/pods/ns/p')), '/cluster-a/core/pods/ns/p');
  assert.equal(m.fromEtcd(Buffer.from('/cluster-a/core/pods/ns/p')), '/registry/core/pods/ns/p');
  assert.throws(() => m.toEtcd('/elsewhere/x'), (e: unknown) => e instanceof StorageError && e.code === 'Internal');
  const same = new KeyMapper('/registry', '/registry');
  assert.equal(s(same.toEtcd('/registry/x')), '/registry/x', "upstream's default: keys as they are");
});

test('ranges: under the root, above it, outside it, from a continue position', () => {
  const m = new KeyMapper('/registry', '/c');
  assert.deepEqual([s(m.range('/registry/core/')?.key), s(m.range('/registry/core/')?.rangeEnd)], ['/c/core/', '/c/core0']);
  // A prefix of the root: every key of the root.
  assert.deepEqual([s(m.range('')?.key), s(m.range('/reg')?.rangeEnd)], ['/c', '/d']);
  assert.equal(m.range('/other/'), undefined);
  assert.equal(s(m.range('/registry/core/', '/registry/core/b\0')?.key), '/c/core/b\0');
  // A continue position outside the root: before it every key follows, after it none does.
  assert.equal(s(m.range('', '/a')?.key), '/c');
  assert.equal(m.range('', '/z'), undefined);
  const all = new KeyMapper('', '');
  assert.deepEqual([all.range('')?.key, all.range('')?.rangeEnd], [Buffer.from([0]), Buffer.from([0])]);
});
