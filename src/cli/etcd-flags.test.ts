import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from './args.ts';
import { ETCD_FLAGS, etcdFromFlags } from './etcd-flags.ts';

const parse = (...argv: string[]) => etcdFromFlags(parseCommand(argv, { name: 'up', flags: [...ETCD_FLAGS] }));

test('without --etcd-servers the store stays SQLite; the other etcd flags need it', () => {
  assert.equal(parse(), undefined);
  assert.throws(() => parse('--etcd-prefix=/x'), /--etcd-prefix needs --etcd-servers/);
});

test("--etcd-servers with kube-apiserver's TLS flags and --etcd-prefix (default /registry)", () => {
  assert.deepEqual(parse('--etcd-servers=http://127.0.0.1:2379'), { servers: ['http://127.0.0.1:2379'], caFile: undefined, certFile: undefined, keyFile: undefined, prefix: '/registry' });
  assert.deepEqual(parse('--etcd-servers=https://a:2379,https://b:2379', '--etcd-cafile=ca.pem', '--etcd-certfile=c.pem', '--etcd-keyfile=k.pem', '--etcd-prefix=/cluster-a'), {
    servers: ['https://a:2379', 'https://b:2379'],
    caFile: 'ca.pem',
    certFile: 'c.pem',
    keyFile: 'k.pem',
    prefix: '/cluster-a',
  });
  assert.throws(() => parse('--etcd-servers=http://a:2379', '--etcd-prefix=registry'), /must start with \//);
});
