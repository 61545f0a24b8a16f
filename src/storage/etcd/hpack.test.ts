/**
 * HPACK against RFC 7541's own examples (Appendix C: Huffman strings, the dynamic table across
 * blocks, eviction) and against nghttp2 (node:http2's encoder) on headers of every printable
 * character, which it sends Huffman-coded and indexed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { HpackDecoder, HpackError, encodeHeaders } from './hpack.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('RFC 7541 C.4: requests with Huffman coding, the dynamic table kept across blocks', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')), [
    [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
  ]);
  assert.deepEqual(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf')), [
    [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
  ]);
  assert.deepEqual(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')), [
    [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
  ]);
});

test('RFC 7541 C.6: responses with Huffman coding and eviction from a 256-octet table', () => {
  const d = new HpackDecoder(256);
  d.decode(hex('4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3'));
  assert.deepEqual(d.decode(hex('4883 640e ffc1 c0bf')), [
    [':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com'],
  ]);
  assert.deepEqual(
    d.decode(hex('88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07')),
    [
      [':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'], ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ],
  );
});

test('bad input is refused: an index past the tables, bad padding, a table size over the limit', () => {
  assert.throws(() => new HpackDecoder().decode(hex('be')), HpackError);
  assert.throws(() => new HpackDecoder().decode(hex('0081 00')), HpackError); // Huffman padding of 0 bits set to 0
  assert.throws(() => new HpackDecoder(4096).decode(hex('3fe2 1f')), HpackError); // size update to 4096+...
  assert.throws(() => new HpackDecoder().decode(hex('0085 41')), HpackError); // truncated string
});

test('encoded request headers decode back to the same fields', () => {
  const fields: [string, string][] = [[':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.KV/Txn'], [':authority', '127.0.0.1:2379'], ['content-type', 'application/grpc'], ['te', 'trailers'], ['x-long', 'v'.repeat(300)]];
  assert.deepEqual(new HpackDecoder().decode(encodeHeaders(fields)), fields);
});

test('nghttp2 headers (Huffman-coded, indexed on repeat) over every printable character', async () => {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
  const values = [printable, printable.split('').reverse().join(''), 'grpc-status', '0', 'a%20b'];
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'x-all': values[0], 'x-rev': values[1], 'x-a': values[2], 'x-b': values[3], 'x-c': values[4] });
    stream.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // A raw socket under node's own client would hide the bytes: read them from the session's frames instead.
  const { connect } = await import('node:net');
  const sock = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const d = new HpackDecoder();
  const blocks: Buffer[] = [];
  let buf = Buffer.alloc(0);
  const got = new Promise<void>((resolve) => {
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const len = buf.readUIntBE(0, 3);
        if (buf[3] === 1) blocks.push(buf.subarray(9, 9 + len));
        buf = buf.subarray(9 + len);
        if (blocks.length === 2) resolve();
      }
    });
  });
  const request = (id: number) => {
    const block = encodeHeaders([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']]);
    const h = Buffer.alloc(9);
    h.writeUIntBE(block.length, 0, 3);
    h[3] = 1;
    h[4] = 5; // END_STREAM | END_HEADERS
    h.writeUInt32BE(id, 5);
    return Buffer.concat([h, block]);
  };
  sock.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), hex('000000040000000000'), request(1), request(3)]));
  try {
    await got;
    for (const block of blocks) {
      const fields = new Map(d.decode(block));
      assert.deepEqual([fields.get('x-all'), fields.get('x-rev'), fields.get('x-a'), fields.get('x-b'), fields.get('x-c')], values);
    }
    // The second block is made of references to the first's entries.
    assert.ok(blocks[1].length < blocks[0].length / 4, `${blocks[1].length} vs ${blocks[0].length}`);
  } finally {
    sock.destroy();
    server.close();
  }
});
