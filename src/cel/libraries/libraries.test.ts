import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newCelEnvironment } from '../environment.ts';

const env = newCelEnvironment({ l: 'list', s: 'string' });
const ev = (e: string, vars: Record<string, unknown> = {}) => env.evaluate(e, { l: [], s: '', ...vars });
const throws = (e: string, re: RegExp) => assert.throws(() => ev(e), re);

test('lists: isSorted, sum, min, max, indexOf, lastIndexOf', () => {
  assert.equal(ev('[1, 2, 2, 3].isSorted()'), true);
  assert.equal(ev("['b', 'a'].isSorted()"), false);
  assert.equal(ev('[1, 2, 3].sum()'), 6n);
  assert.equal(ev('[1.5, 2.0].sum()'), 3.5);
  assert.equal(ev('[3, 1, 2].min()'), 1n);
  assert.equal(ev("['a', 'c', 'b'].max()"), 'c');
  assert.equal(ev('[1, 2, 1].indexOf(1)'), 0n);
  assert.equal(ev('[1, 2, 1].lastIndexOf(1)'), 2n);
  assert.equal(ev('[1, 2].indexOf(5)'), -1n);
  throws('l.min()', /min\(list\) called on empty list/);
});

test('sets: contains, equivalent, intersects', () => {
  assert.equal(ev('sets.contains([1, 2, 3], [3, 1])'), true);
  assert.equal(ev('sets.contains([1, 2], [4])'), false);
  assert.equal(ev('sets.equivalent([1, 2, 2], [2, 1])'), true);
  assert.equal(ev('sets.intersects([1, 2], [2, 5])'), true);
  assert.equal(ev("sets.intersects(['a'], ['b'])"), false);
});

test('regex: find and findAll on RE2', () => {
  assert.equal(ev("'abc 123 def 456'.find('[0-9]+')"), '123');
  assert.equal(ev("'abc'.find('[0-9]+')"), '');
  assert.deepEqual(ev("'a1 b2 c3'.findAll('[a-z][0-9]')"), ['a1', 'b2', 'c3']);
  assert.deepEqual(ev("'a1 b2 c3'.findAll('[a-z][0-9]', 2)"), ['a1', 'b2']);
  throws("'x'.find('(')", /error parsing regexp/);
});

test('quantity: parse, compare, arithmetic, integer conversion', () => {
  assert.equal(ev("quantity('1Gi').isGreaterThan(quantity('1G'))"), true);
  assert.equal(ev("quantity('500m').compareTo(quantity('0.5'))"), 0n);
  assert.equal(ev("quantity('1').add(quantity('500m')).asApproximateFloat()"), 1.5);
  assert.equal(ev("quantity('2k').sub(1000).asInteger()"), 1000n);
  assert.equal(ev("string(quantity('1.5Gi'))"), '1536Mi');
  assert.equal(ev("quantity('-3').sign()"), -1n);
  assert.equal(ev("quantity('1500m').isInteger()"), false);
  assert.equal(ev("isQuantity('12Zi')"), false);
  throws("quantity('1500m').asInteger()", /cannot convert value to integer/);
  throws("quantity('bad')", /quantities must match the regular expression/);
  // As upstream: ParseQuantity's own error; AsInt64 fails for an amount the int64 parse did not take
  // ("1.5Ki": a fraction with a binary suffix), whole or not; an int operand is NewQuantity(DecimalExponent).
  throws("quantity('1i')", /unable to parse quantity's suffix/);
  assert.equal(ev("quantity('1.5Ki').isInteger()"), false);
  throws("quantity('1.5Ki').asInteger()", /cannot convert value to integer/);
  assert.equal(ev("quantity('1536').isInteger()"), true);
  // Whole but held at scale -3 (int64Amount{1000, -3}): AsInt64 fails upstream.
  assert.equal(ev("quantity('1000m').isInteger()"), false);
  // AsApproximateFloat64 multiplies 11 by 0.1.
  assert.equal(ev("quantity('1.1').asApproximateFloat()"), 1.1000000000000001);
  assert.equal(ev("string(quantity('0').add(5000))"), '5e3');
  assert.equal(ev("string(quantity('0').sub(5000))"), '-5e3');
});

test('ip and cidr', () => {
  assert.equal(ev("ip('10.0.0.1').family()"), 4n);
  assert.equal(ev("ip('::1').isLoopback()"), true);
  assert.equal(ev("ip('169.254.1.1').isLinkLocalUnicast()"), true);
  assert.equal(ev("ip('8.8.8.8').isGlobalUnicast()"), true);
  assert.equal(ev("string(ip('2001:db8:0:0:0:0:0:1'))"), '2001:db8::1');
  assert.equal(ev("ip.isCanonical('2001:DB8::1')"), false);
  assert.equal(ev("isIP('010.0.0.1')"), false);
  assert.equal(ev("isIP('::ffff:1.2.3.4')"), false);
  assert.equal(ev("cidr('10.0.0.0/8').containsIP('10.1.2.3')"), true);
  assert.equal(ev("cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))"), false);
  assert.equal(ev("cidr('10.0.0.0/8').containsCIDR('10.2.0.0/16')"), true);
  assert.equal(ev("cidr('10.0.0.0/16').containsCIDR('10.0.0.0/8')"), false);
  assert.equal(ev("string(cidr('192.168.1.7/24').masked())"), '192.168.1.0/24');
  assert.equal(ev("cidr('fd00::/64').prefixLength()"), 64n);
  assert.equal(ev("isCIDR('10.0.0.0/33')"), false);
  throws("ip('nope')", /parse error during conversion from string/);
});

test('url', () => {
  assert.equal(ev("url('https://example.com:8443/a/b?x=1&x=2').getHost()"), 'example.com:8443');
  assert.equal(ev("url('https://example.com:8443/a/b').getPort()"), '8443');
  assert.equal(ev("url('https://[::1]:80/').getHostname()"), '::1');
  assert.equal(ev("url('/just/a/path').getEscapedPath()"), '/just/a/path');
  assert.deepEqual(ev("url('https://e.com/?x=1&x=2&y=3').getQuery()['x']"), ['1', '2']);
  assert.equal(ev("isURL('not a url')"), false);
  assert.equal(ev("isURL('relative/path')"), false);
});

test('semver', () => {
  assert.equal(ev("semver('1.2.3').major()"), 1n);
  assert.equal(ev("semver('1.10.0').isGreaterThan(semver('1.9.9'))"), true);
  assert.equal(ev("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))"), true);
  assert.equal(ev("semver('1.0.0-alpha.2').compareTo(semver('1.0.0-alpha.10'))"), -1n);
  assert.equal(ev("semver('1.0.0+build').compareTo(semver('1.0.0'))"), 0n);
  assert.equal(ev("isSemver('1.2')"), false);
  throws("semver('v1')", /could not parse semver/);
});

test('format: named formats validate to optional.none() or the list of errors', () => {
  assert.equal(ev("format.dns1123Label().validate('my-name').hasValue()"), false);
  assert.deepEqual(ev("format.dns1123Label().validate('My_Name').value()"), ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]);
  assert.equal(ev("format.dns1123LabelPrefix().validate('prefix-').hasValue()"), false);
  assert.equal(ev("format.named('uuid').value().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()"), false);
  assert.deepEqual(ev("format.named('datetime').value().validate('now').value()"), ['invalid datetime']);
  assert.equal(ev("format.named('nope').hasValue()"), false);
  assert.deepEqual(ev("format.uri().validate('not a uri').value()"), ['parse "not a uri": invalid URI for request']);
  assert.equal(ev("format.qualifiedName().validate('example.com/name').hasValue()"), false);
});

test('strings extension: charAt, replace, reverse, quote, format', () => {
  assert.equal(ev("'héllo'.charAt(1)"), 'é');
  assert.equal(ev("'abc'.charAt(3)"), '');
  throws("'abc'.charAt(4)", /index out of range: 4/);
  assert.equal(ev("'a-b-c'.replace('-', '+')"), 'a+b+c');
  assert.equal(ev("'a-b-c'.replace('-', '+', 1)"), 'a+b-c');
  assert.equal(ev("'abc'.reverse()"), 'cba');
  assert.equal(ev('strings.quote(s)', { s: 'say "hi"\n' }), '"say \\"hi\\"\\n"');
  assert.equal(ev("'%s has %d items (%.2f%%)'.format(['cart', 3, 12.5])"), 'cart has 3 items (12.50%)');
  assert.equal(ev("'%x %o %b'.format([255, 8, 5])"), 'ff 10 101');
  throws("'%d'.format(['x'])", /decimal clause can only be used on integers/);
});
