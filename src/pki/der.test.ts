/** The DER writer against node-forge's ASN.1 writer (what the agent's requests were built with before). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import { derBitString, derContext, derOctetString, derOid, derSequence, derSet, derSmallInteger, derUtf8, pemEncode, tlv } from './der.ts';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;
const viaForge = (a: forge.asn1.Asn1) => Buffer.from(asn1.toDer(a).getBytes(), 'binary');
const bin = (b: Buffer) => b.toString('binary');

test('lengths in their shortest form, short and long, as forge writes them', () => {
  for (const n of [0, 1, 127, 128, 255, 256, 1000, 65535, 65536, 70000]) {
    const content = Buffer.alloc(n, 0x41);
    assert.deepEqual(derOctetString(content), viaForge(asn1.create(U, T.OCTETSTRING, false, bin(content))), `length ${n}`);
  }
  assert.deepEqual(tlv(0x04, Buffer.alloc(300)).subarray(0, 4), Buffer.from([0x04, 0x82, 0x01, 0x2c]));
});

test('OIDs, small integers, strings, sets, sequences and context tags as forge writes them', () => {
  for (const o of ['2.5.4.3', '2.5.4.10', '1.2.840.113549.1.9.14', '2.5.29.17', '1.2.840.10045.4.3.2', '0.0', '2.999.3', '1.3.6.1.4.1.311.21.20']) {
    assert.deepEqual(derOid(o), viaForge(asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes())), o);
  }
  assert.throws(() => derOid('3.1'));
  assert.throws(() => derOid('1.40'));
  assert.throws(() => derOid('1'));
  for (const v of [0, 1, 127, 128, 255, 256, 32767, 32768, 65536]) {
    assert.deepEqual(derSmallInteger(v), viaForge(asn1.create(U, T.INTEGER, false, asn1.integerToDer(v).getBytes())), String(v));
  }
  assert.throws(() => derSmallInteger(-1));
  for (const s of ['system:nodes', 'system:node:box', 'näme-ü', 'x'.repeat(300)]) {
    assert.deepEqual(derUtf8(s), viaForge(asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(s))), s);
  }
  const sig = Buffer.from([0x30, 0x45, 0x02, 0x20, 0xff]);
  assert.deepEqual(derBitString(sig), viaForge(asn1.create(U, T.BITSTRING, false, `\x00${bin(sig)}`)));
  const a = derUtf8('a');
  const b = derOid('2.5.4.3');
  const fa = asn1.create(U, T.UTF8, false, 'a');
  const fb = asn1.create(U, T.OID, false, asn1.oidToDer('2.5.4.3').getBytes());
  assert.deepEqual(derSequence([a, b]), viaForge(asn1.create(U, T.SEQUENCE, true, [fa, fb])));
  assert.deepEqual(derSet([a, b]), viaForge(asn1.create(U, T.SET, true, [fa, fb])));
  const ctx = asn1.Class.CONTEXT_SPECIFIC;
  assert.deepEqual(derContext(2, false, Buffer.from('box.local', 'latin1')), viaForge(asn1.create(ctx, 2, false, 'box.local')));
  assert.deepEqual(derContext(7, false, Buffer.from([10, 1, 2, 3])), viaForge(asn1.create(ctx, 7, false, '\x0a\x01\x02\x03')));
  assert.deepEqual(derContext(0, true, Buffer.alloc(0)), viaForge(asn1.create(ctx, 0, true, [])));
  assert.deepEqual(derContext(0, true, Buffer.concat([a, b])), viaForge(asn1.create(ctx, 0, true, [fa, fb])));
});

test('PEM text byte for byte as forge.pem.encode with 64-character lines, at every length around a line (an empty body aside)', () => {
  for (let n = 1; n <= 200; n++) {
    const der = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) & 0xff));
    assert.equal(pemEncode('CERTIFICATE REQUEST', der), forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: bin(der) }, { maxline: 64 }), `${n} bytes`);
  }
});
