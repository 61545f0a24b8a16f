import { test } from 'node:test';
import assert from 'node:assert/strict';
import Long from 'long';
import { CompareResult, CompareTarget, messages } from './etcd-proto.ts';
import type { TxnRequest } from './etcd-proto.ts';
import { frame } from './grpc-frames.ts';
import { absent, atRevision } from './txn.ts';
import { framedTxn } from './txn-wire.ts';

const k = Buffer.from('/registry/configmaps/default/a');
const big = Buffer.alloc(70_000, 0x61);

/** What the store (etcd-store.ts) and the lease backfill (lease-backfill.ts) send. */
const requests: [string, TxnRequest][] = [
  ['create', { compare: absent(k), success: [{ request_put: { key: k, value: Buffer.from('{"a":1}') } }] }],
  ['create with a lease', { compare: absent(k), success: [{ request_put: { key: k, value: Buffer.from('{}'), lease: Long.fromString('7587883440361750001') } }] }],
  ['create with a lease as a number', { compare: absent(k), success: [{ request_put: { key: k, value: Buffer.from('{}'), lease: 2 ** 53 - 1 } }] }],
  ['create of a large value', { compare: absent(k), success: [{ request_put: { key: k, value: big } }] }],
  ['create of an empty value', { compare: absent(k), success: [{ request_put: { key: k, value: Buffer.alloc(0) } }] }],
  ['update', { compare: atRevision(k, 1234567), success: [{ request_put: { key: k, value: Buffer.from('{"b":2}'), prev_kv: true } }], failure: [{ request_range: { key: k } }] }],
  ['update at a revision of 2^40', { compare: atRevision(k, 2 ** 40), success: [{ request_put: { key: k, value: Buffer.from('x'), prev_kv: true, lease: Long.fromNumber(-1) } }], failure: [{ request_range: { key: k } }] }],
  ['unconditional update', { compare: atRevision(k, undefined), success: [{ request_put: { key: k, value: Buffer.from('x'), prev_kv: true } }], failure: [{ request_range: { key: k } }] }],
  ['delete', { compare: atRevision(k, 7), success: [{ request_delete_range: { key: k, prev_kv: true } }], failure: [{ request_range: { key: k } }] }],
  ['delete without a revision', { compare: atRevision(k, undefined), success: [{ request_delete_range: { key: k, prev_kv: true } }], failure: [{ request_range: { key: k } }] }],
  ['lease backfill', { compare: [{ key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: 99 }], success: [{ request_put: { key: k, ignore_value: true, lease: Long.fromString('694d77aa9e1ac2a5', false, 16) } }] }],
  ['ranges and false flags', { compare: [], success: [{ request_range: { key: k, range_end: Buffer.from([0]), limit: 500, revision: 2 ** 33 + 5, keys_only: false, count_only: true } }, { request_delete_range: { key: k, prev_kv: false } }] }],
  ['nothing', { compare: [], success: [] }],
];

test('framedTxn writes the bytes protobufjs writes, framed as gRPC frames them', () => {
  for (const [name, req] of requests) {
    const want = frame(messages.TxnRequest.encode(req).finish());
    assert.deepEqual(framedTxn(req), want, name);
    // And etcd's side reads back what was meant.
    assert.deepEqual(messages.TxnRequest.decode(framedTxn(req).subarray(5)).toJSON(), messages.TxnRequest.decode(want.subarray(5)).toJSON(), name);
  }
});

test('framedTxn refuses an int64 that is not a safe integer rather than sending another number', () => {
  assert.throws(() => framedTxn({ compare: atRevision(k, 2 ** 53), success: [] }), TypeError);
  assert.throws(() => framedTxn({ compare: atRevision(k, 1.5), success: [] }), TypeError);
});
