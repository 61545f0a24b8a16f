/**
 * HTTP/2 frame layout (RFC 9113 section 4 and 6) for h2-session.ts: type and flag numbers, the
 * 9-byte frame header, padding, and the small control frames the client writes.
 */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
export const DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9;
export const END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY = 0x20;
/** RST_STREAM codes: a call given up by this side; a stream the server refused before acting on it. */
export const CANCEL = 0x8;
export const REFUSED_STREAM = 0x7;
export const MAX_FRAME = 16384;
export const MAX_STREAM_ID = 2 ** 31 - 1;
/** Our receive windows: large, so big lists do not stall on window updates. */
export const STREAM_WINDOW = 1 << 20;
export const SESSION_WINDOW = 16 << 20;
/** The most header block bytes taken for one stream (etcd's are tens of bytes). */
export const MAX_HEADER_BLOCK = 1 << 20;

/** The peer broke the protocol: the connection is given up. */
export class H2ProtocolError extends Error {}

export function frameHeader(length: number, type: number, flags: number, id: number): Buffer {
  const h = Buffer.allocUnsafe(9);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(id, 5);
  return h;
}

export function windowUpdate(id: number, increment: number): Buffer {
  const f = frameHeader(4, WINDOW_UPDATE, 0, id);
  return Buffer.concat([f, Buffer.from([(increment >>> 24) & 0x7f, (increment >>> 16) & 0xff, (increment >>> 8) & 0xff, increment & 0xff])]);
}

export function unpad(flags: number, payload: Buffer): Buffer {
  if (!(flags & PADDED)) return payload;
  const pad = payload[0];
  if (pad >= payload.length) throw new H2ProtocolError('HTTP/2: padding longer than the frame');
  return payload.subarray(1, payload.length - pad);
}

/** The connection preface with our SETTINGS (no push, our stream window) and the session window beyond the default 65535. */
export function clientPreface(): Buffer {
  const settings = Buffer.alloc(12);
  settings.writeUInt16BE(2, 0);
  settings.writeUInt32BE(0, 2);
  settings.writeUInt16BE(4, 6);
  settings.writeUInt32BE(STREAM_WINDOW, 8);
  return Buffer.concat([PREFACE, frameHeader(settings.length, SETTINGS, 0, 0), settings, windowUpdate(0, SESSION_WINDOW - 65535)]);
}

export function rstStream(id: number, code: number): Buffer {
  const f = Buffer.alloc(13);
  f.set(frameHeader(4, RST_STREAM, 0, id));
  f.writeUInt32BE(code, 9);
  return f;
}

export function pingFrame(payload: Buffer, ack: boolean): Buffer {
  return Buffer.concat([frameHeader(8, PING, ack ? ACK : 0, 0), payload]);
}
