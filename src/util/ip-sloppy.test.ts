import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { canonicalCIDR, canonicalIP, parseCIDRSloppy, parseIPSloppy } from './ip-sloppy.ts';

test('ParseIPSloppy: legacy forms accepted as Go 1.16 net.ParseIP read them; canonical is net.IP.String()', () => {
  const cases: Array<[string, string | undefined]> = [
    ['10.0.0.1', '10.0.0.1'],
    ['010.000.000.001', '10.0.0.1'], // leading zeros are decimal, not octal (inet_aton would say 8.0.0.1)
    ['0000000010.0.0.1', '10.0.0.1'],
    ['1.2.3.256', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['1.2.3.', undefined],
    [' 1.2.3.4', undefined],
    ['1.2.3.4 ', undefined],
    ['0x1.2.3.4', undefined],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:001.002.003.004', '1.2.3.4'],
    ['::FFFF:102:304', '1.2.3.4'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0abc', 'fe80::abc'],
    ['00002001:db8::1', '2001:db8::1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::8', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['::1.2.3.4', '::102:304'],
    ['1::2.3.4.5', '1::203:405'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1:2:3:4:5:1.2.3.4', undefined],
    ['fe80::1%eth0', undefined], // zones: node:net's isIP says 6
    ['12345::', undefined],
    ['1:::2', undefined],
    [':1', undefined],
    ['1:', undefined],
    ['', undefined],
    ['abc', undefined],
  ];
  for (const [s, want] of cases) assert.equal(canonicalIP(s), want, s);
  assert.equal(parseIPSloppy('::ffff:1.2.3.4')!.family, 4, 'IPv4-mapped is IPv4 (To4)');
  assert.equal(parseIPSloppy('010.0.0.1')!.value, 0x0a000001n);
  assert.equal(parseIPSloppy('::1')!.value, 1n);
});

test('on every strictly valid address it agrees with node:net (family; canonical round trip)', () => {
  const addrs = ['0.0.0.0', '255.255.255.255', '192.168.1.1', '::', '::1', '2001:db8::', 'fe80::1:2', '1::', '::ffff:0:1', 'a:b:c:d:e:f:1:2', '64:ff9b::1.2.3.4'];
  for (const a of addrs) {
    const p = parseIPSloppy(a)!;
    assert.ok(p, a);
    if (!a.startsWith('::ffff:')) assert.equal(p.family, isIP(a), a);
    assert.equal(canonicalIP(p.canonical), p.canonical, `${a}: canonical is a fixed point`);
  }
});

test("ParseCIDRSloppy: the forms Go 1.16's ParseCIDR reads and IPNet.String() of each", () => {
  const cases: Array<[string, string | undefined, number?]> = [
    ['10.0.0.0/8', '10.0.0.0/8', 8],
    ['010.001.002.003/8', '10.0.0.0/8', 8],
    ['10.0.0.1/024', '10.0.0.0/24', 24],
    ['1.2.3.4/0', '0.0.0.0/0', 0],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', 104],
    ['::ffff:10.1.2.3/95', '::fffe:0:0/95', 95],
    ['2001:DB8:0:0::1/64', '2001:db8::/64', 64],
    ['10.0.0.0/33', undefined],
    ['10.0.0.0/', undefined],
    ['10.0.0.0/+8', undefined],
    ['10.0.0.0/8 ', undefined],
    ['fe80::1%eth0/64', undefined],
    ['10.0.0.0', undefined],
  ];
  for (const [text, canonical, maskBits] of cases) {
    assert.equal(canonicalCIDR(text), canonical, text);
    if (maskBits !== undefined) assert.equal(parseCIDRSloppy(text)!.maskBits, maskBits, text);
  }
});
