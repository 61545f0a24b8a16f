import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { cnMatchesGun } from './root.ts';
import { compilePin, pinMatches, selectPin } from './trust-pin.ts';
import { keyIdOf, parseTufKey } from './tuf-key.ts';

test('pins are chosen as notary chooses trust_pinning certs: exact GUN, else the longest matching prefix*', () => {
  const pins = { 'reg.example/team/*': 'team', 'reg.example/*': 'all', 'reg.example/team/app': 'exact' };
  assert.equal(selectPin('reg.example/team/app', pins), 'exact');
  assert.equal(selectPin('reg.example/team/web', pins), 'team');
  assert.equal(selectPin('reg.example/other', pins), 'all');
  assert.equal(selectPin('elsewhere.example/app', pins), undefined);
  // A prefix without the star is an exact name only.
  assert.equal(selectPin('reg.example/teamx', { 'reg.example/team': 'x' }), undefined);
  assert.equal(selectPin('__proto__', {}), undefined);
});

test('root certificate CNs match the GUN exactly or as a prefix* wildcard', () => {
  assert.ok(cnMatchesGun('reg.example/app', 'reg.example/app'));
  assert.ok(cnMatchesGun('reg.example/*', 'reg.example/app'));
  assert.ok(!cnMatchesGun('reg.example/app', 'reg.example/app2'));
  assert.ok(!cnMatchesGun('reg.example/a*', 'reg.example/b'));
});

test('a pin matches a key by its ID or by its public key; a pin without keys is refused', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const key = parseTufKey(keyIdOf('ecdsa', b64), { keytype: 'ecdsa', keyval: { public: b64, private: null } }, 'test');
  assert.ok(pinMatches(compilePin({ keyIds: [key.id] }), key, Date.now()));
  assert.ok(pinMatches(compilePin({ publicKeysPem: [publicKey.export({ type: 'spki', format: 'pem' }).toString()] }), key, Date.now()));
  assert.ok(!pinMatches(compilePin({ keyIds: ['a'.repeat(64)] }), key, Date.now()));
  assert.throws(() => compilePin({}), /trust on first use/);
  assert.throws(() => compilePin({ publicKeysPem: ['not a key'] }), /not a PEM/);
});

test('a key listed under an ID that is not the hash of its content is refused', () => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const b64 = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  assert.throws(() => parseTufKey('b'.repeat(64), { keytype: 'ed25519', keyval: { public: b64 } }, 'test'), /does not match/);
  assert.throws(() => parseTufKey(keyIdOf('ed25519', b64.replace(/=+$/, '')), { keytype: 'ed25519', keyval: { public: b64.replace(/=+$/, '') } }, 'test'), /canonical base64/);
});
