import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePodSpec } from './pod-spec.ts';
import { path } from '../field-errors.ts';
import { errorString } from '../field-errors.ts';

const spec = (extra: Record<string, unknown>) => ({ containers: [{ name: 'a', image: 'i', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', ...extra }) as never;
const errors = (extra: Record<string, unknown>) => validatePodSpec(spec(extra), path('spec')).map(errorString);

test('dnsConfig nameservers: at most 3, each a legacy IP (leading zeros allowed, a zone or a second line not)', () => {
  assert.deepEqual(errors({ dnsConfig: { nameservers: ['010.0.0.10', '::ffff:1.2.3.4', 'fd00::1'] } }), []);
  assert.deepEqual(errors({ dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9', '1.0.0.1'] } }), ['spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"}: must not have more than 3 nameservers']);
  assert.deepEqual(errors({ dnsConfig: { nameservers: ['fe80::1%eth0', '1.2.3.4\nnameserver 6.6.6.6'] } }), [
    'spec.dnsConfig.nameservers[0]: Invalid value: "fe80::1%eth0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'spec.dnsConfig.nameservers[1]: Invalid value: "1.2.3.4\\nnameserver 6.6.6.6": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
  // With dnsPolicy None the required checks come first, as before.
  assert.deepEqual(errors({ dnsPolicy: 'None', dnsConfig: {} }), ['spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None']);
});

test('hostAliases: each ip a legacy IP, each hostname a DNS-1123 subdomain', () => {
  assert.deepEqual(errors({ hostAliases: [{ ip: '010.0.0.1', hostnames: ['a.example', 'b'] }] }), []);
  const got = errors({ hostAliases: [{ ip: '', hostnames: ['ok'] }, { ip: '1.2.3.4', hostnames: ['Bad_Name', 'x\n1.1.1.1 evil'] }] });
  assert.equal(got[0], 'spec.hostAliases[0].ip: Invalid value: "": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  assert.match(got[1]!, /^spec\.hostAliases\[1\]\.hostnames\[0\]: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
  assert.match(got[2]!, /^spec\.hostAliases\[1\]\.hostnames\[1\]: Invalid value: "x\\n1\.1\.1\.1 evil": a lowercase RFC 1123 subdomain/);
  assert.equal(got.length, 3);
});

test('dnsConfig searches and options as 1.33 (RelaxedDNSSearchValidation on): 32 paths, 2048 bytes, underscores, a single dot, option names', () => {
  assert.deepEqual(errors({ dnsConfig: { searches: ['.', 'abc_d.example.com', '_sip._tcp.example.com.', 'ns.svc.cluster.local'], options: [{ name: 'ndots', value: '2' }] } }), []);
  const many = Array.from({ length: 33 }, (_, i) => `s${i}.example`);
  assert.deepEqual(errors({ dnsConfig: { searches: many } }), [`spec.dnsConfig.searches: Invalid value: []string{${many.map((s) => `"${s}"`).join(', ')}}: must not have more than 32 search paths`]);
  const long = Array.from({ length: 11 }, (_, i) => `${String.fromCharCode(97 + i)}${'x'.repeat(61)}.${'y'.repeat(63)}.${'z'.repeat(63)}.example`);
  const got = errors({ dnsConfig: { searches: long } });
  assert.equal(got.length, 1, got.join('\n'));
  assert.match(got[0]!, /^spec\.dnsConfig\.searches: Invalid value: \[\]string\{.*\}: must not have more than 2048 characters \(including spaces\) in the search list$/);
  const bad = errors({ dnsConfig: { searches: ['..', 'Upper.example', 'a\nnameserver 6.6.6.6', '-x.example'], options: [{ name: '' }, { value: '1' }] } });
  const msg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  assert.deepEqual(bad, [
    `spec.dnsConfig.searches[0]: Invalid value: ".": ${msg}`,
    `spec.dnsConfig.searches[1]: Invalid value: "Upper.example": ${msg}`,
    `spec.dnsConfig.searches[2]: Invalid value: "a\\nnameserver 6.6.6.6": ${msg}`,
    `spec.dnsConfig.searches[3]: Invalid value: "-x.example": ${msg}`,
    'spec.dnsConfig.options[0]: Required value: must not be empty',
    'spec.dnsConfig.options[1]: Required value: must not be empty',
  ]);
});
