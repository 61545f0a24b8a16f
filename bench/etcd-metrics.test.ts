import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdWorkPerCreate, parseEtcdCounters } from './etcd-metrics.ts';

const exposition = (txn: number, range: number, puts: number, fsyncs: number) => `
# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.
# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_code="OK",grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} ${txn - 1}
grpc_server_handled_total{grpc_code="FailedPrecondition",grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} 1
grpc_server_handled_total{grpc_code="OK",grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"} ${range}
grpc_server_handled_total{grpc_code="OK",grpc_method="Compact",grpc_service="etcdserverpb.KV",grpc_type="unary"} 0
grpc_server_started_total{grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} 999
etcd_mvcc_put_total ${puts}
etcd_debugging_mvcc_put_total 12345
etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 7
etcd_disk_wal_fsync_duration_seconds_count ${fsyncs}
`;

test('counters: gRPC calls summed over codes by method, puts and fsyncs; other series ignored', () => {
  const c = parseEtcdCounters(exposition(10, 3, 40, 5));
  assert.deepEqual(Object.fromEntries(c), { 'grpc:Txn': 10, 'grpc:Range': 3, 'grpc:Compact': 0, etcd_mvcc_put_total: 40, etcd_disk_wal_fsync_duration_seconds_count: 5 });
});

test('work per create: the differences divided by the creates; methods that did not move are left out', () => {
  const before = parseEtcdCounters(exposition(10, 3, 40, 5));
  const after = parseEtcdCounters(exposition(410, 7, 440, 105));
  assert.deepEqual(etcdWorkPerCreate(before, after, 400), { creates: 400, callsPerCreate: { Txn: 1, Range: 0.01 }, putsPerCreate: 1, putsPerFsync: 4 });
});

test('no creates and no fsyncs give zeros and null, not NaN', () => {
  const same = parseEtcdCounters(exposition(10, 3, 40, 5));
  assert.deepEqual(etcdWorkPerCreate(same, same, 0), { creates: 0, callsPerCreate: {}, putsPerCreate: 0, putsPerFsync: null });
});
