import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDN, isSubsetDN, overlaps, parseDistinguishedName, parseTrustedIdentity, subjectDN } from './distinguished-name.ts';

test('distinguished names parse as RFC 4514 strings, escapes and spaces included', () => {
  assert.deepEqual([...parseDistinguishedName('C=US, ST=WA, L=Seattle, O=wabbit-networks.io, OU=Finance, CN=SecureBuilder')], [
    ['C', 'US'], ['ST', 'WA'], ['L', 'Seattle'], ['O', 'wabbit-networks.io'], ['OU', 'Finance'], ['CN', 'SecureBuilder'],
  ]);
  assert.deepEqual([...parseDistinguishedName('c=US;st=WA+o=Acme\\, Inc.,CN=a\\\\b\\;c\\ ,OU=\\41x')], [['C', 'US'], ['ST', 'WA'], ['O', 'Acme, Inc.'], ['CN', 'a\\b;c '], ['OU', 'Ax']]);
  assert.throws(() => parseDistinguishedName('C=US, C=CA'), /duplicate RDN attribute for "C"/);
  assert.throws(() => parseDistinguishedName('C=US, ST'), /expected TYPE=VALUE/);
  assert.throws(() => parseDistinguishedName('C=US, O='), /empty value/);
  assert.equal(formatDN(parseDistinguishedName('O=Acme\\, Inc., C=US')), 'O=Acme\\, Inc., C=US');
});

test('trusted identities need the x509.subject prefix and C, ST and O', () => {
  assert.equal(parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme').get('O'), 'acme');
  assert.throws(() => parseTrustedIdentity('C=US, ST=WA, O=acme'), /must be "\*" or start with "x509\.subject:"/);
  assert.throws(() => parseTrustedIdentity('x509.subject: C=US, O=acme, CN=x'), /must contain C, ST and O \(missing ST\)/);
});

test('a certificate matches an identity whose attributes it all has; identities overlap when one contains the other', () => {
  const cert = subjectDN([{ type: 'C', value: 'US' }, { type: 'ST', value: 'WA' }, { type: 'O', value: 'acme' }, { type: 'CN', value: 'builder' }]);
  assert.equal(isSubsetDN(parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme'), cert), true);
  assert.equal(isSubsetDN(parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme, CN=builder'), cert), true);
  assert.equal(isSubsetDN(parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme, CN=other'), cert), false);
  assert.equal(isSubsetDN(parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme, OU=finance'), cert), false, 'an attribute the certificate lacks');
  assert.equal(overlaps(parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme, OU=org1'), parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme')), true);
  assert.equal(overlaps(parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme, OU=org1'), parseTrustedIdentity('x509.subject: C=US, ST=WA, O=acme, OU=org2')), false);
  assert.throws(() => subjectDN([{ type: 'OU', value: 'a' }, { type: 'OU', value: 'b' }]), /more than once/);
});
