import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrToSet, formatRanges } from './ipv4.ts';
import { desiredRoutes } from '../agent/network/node-routes.ts';
import { CidrSet } from '../controllers/nodeipam.ts';

test('legacy CIDR forms the API accepts are read as ParseCIDRSloppy reads them: an except in a legacy form still cuts its hole', () => {
  // Before, a strict parser dropped the except: the ipBlock allowed 10.1.0.0/16 too.
  const block = cidrToSet('010.000.000.000/8')!.subtract(cidrToSet('010.001.000.000/016')!);
  assert.equal(formatRanges(block), '10.0.0.0-10.0.255.255,10.2.0.0-10.255.255.255');
  assert.equal(formatRanges(cidrToSet('::ffff:10.1.0.0/112')!), '10.1.0.0-10.1.255.255', 'an IPv4-mapped /112 is the IPv4 /16 (Go: To4 of the network)');
  assert.equal(cidrToSet('::ffff:10.1.0.0/95'), undefined, 'shorter than /96: an IPv6 network');
  assert.equal(cidrToSet('fe80::1%eth0/64'), undefined);
});

test("other nodes' routes and the node IPAM controller take a legacy podCIDR as the range it names", () => {
  const node = (name: string, podCIDR: string, ip: string) => ({ metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });
  const routes = desiredRoutes([node('a', '010.244.001.000/24', '192.168.001.010'), node('b', '10.244.2.5/24', '192.168.1.11'), node('self', '10.244.3.0/24', '192.168.1.12')] as never, 'self');
  assert.deepEqual([...routes], [['10.244.1.0/24', '192.168.1.10'], ['10.244.2.0/24', '192.168.1.11']]);
  const s = new CidrSet('10.244.0.0/16', 24);
  assert.ok(s.occupy('010.244.000.000/024'));
  assert.notEqual(s.allocateNext(), '10.244.0.0/24', 'the legacy-form range is taken');
});
