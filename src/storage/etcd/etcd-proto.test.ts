import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { decodeMessage, int, messages } from './etcd-proto.ts';

const CLUSTER = Long.fromString('14841639068965178418', true);
const LEASE = Long.fromString('7587883440361750001');

/** A decoded message with every int64 as its decimal text, Long or number alike. */
function same(m: unknown): string {
  return JSON.stringify(m, (_k, v) => (Long.isLong(v) || typeof v === 'number' ? String(v) : v));
}

test('decodeMessage: revisions come out as numbers, 64-bit IDs as exact Longs, the rest as protobufjs decodes it', () => {
  for (const rev of [0, 1, 127, 128, 2 ** 21, 2 ** 49 - 1, 2 ** 49, 2 ** 53 - 1]) {
    const header = { cluster_id: CLUSTER, member_id: CLUSTER, revision: Long.fromNumber(rev), raft_term: Long.fromNumber(2) };
    const kv = { key: Buffer.from('/registry/configmaps/ns/a'), value: Buffer.from('{"a":1}'), create_revision: Long.fromNumber(rev), mod_revision: Long.fromNumber(rev), version: Long.fromNumber(-1), lease: LEASE };
    const bytes = Buffer.from(messages.TxnResponse.encode({ header, succeeded: true, responses: [{ response_put: { header, prev_kv: kv } }] }).finish());
    const plain = messages.TxnResponse.decode(bytes) as unknown as Record<string, any>;
    const got = decodeMessage<Record<string, any>>(messages.TxnResponse, bytes);
    assert.equal(int(got.header.revision), rev);
    // 0 is not on the wire (proto3): it reads as protobufjs' default, which int() takes too.
    if (rev > 0 && rev < 2 ** 49) assert.equal(got.header.revision, rev, 'a revision within 49 bits is a number');
    const prev = got.responses[0].response_put.prev_kv;
    assert.equal(String(got.header.cluster_id), CLUSTER.toString(), 'a uint64 ID stays exact');
    assert.equal(String(prev.lease), LEASE.toString(), 'a lease ID stays exact');
    assert.equal(String(prev.version), '-1', 'a negative int64 (10 varint bytes) is read as protobufjs reads it');
    assert.deepEqual(prev.key, kv.key);
    assert.deepEqual(prev.value, kv.value);
    assert.equal(got.succeeded, true);
    // Field for field the same values as protobufjs' own decode.
    assert.equal(same(got), same(plain));
  }
});

test('decodeMessage: a varint cut short fails as protobufjs fails, and the watch message decodes as before', () => {
  const bytes = Buffer.from(messages.WatchResponse.encode({ header: { revision: Long.fromNumber(300) }, watch_id: Long.fromNumber(0), events: [{ type: 0, kv: { key: Buffer.from('k'), value: Buffer.from('v'), mod_revision: Long.fromNumber(299), version: Long.fromNumber(1) } }] }).finish());
  const got = decodeMessage<Record<string, any>>(messages.WatchResponse, bytes);
  assert.equal(got.header.revision, 300);
  assert.equal(got.events[0].kv.mod_revision, 299);
  assert.equal(same(got), same(messages.WatchResponse.decode(bytes)));
  assert.throws(() => decodeMessage(messages.WatchResponse, bytes.subarray(0, 4)));
});
