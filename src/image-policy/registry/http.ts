/**
 * The one HTTP layer of the registry client (and so of the node agent's pulls): HTTPS with a CA per
 * registry, plain HTTP only where allowed (loopback or configured insecure, as containerd), a
 * deadline through an AbortSignal, and bodies read as streams so a size cap stops the transfer
 * instead of buffering it. The API client's transport (src/cluster/client/transport.ts) is bound to
 * one https server and buffers answers, which a registry client cannot live with.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ImagePolicyError } from '../errors.ts';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer;
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Unread; the caller reads it (readCapped) or discards it (discard). */
  body: IncomingMessage;
}

/** A failure with no HTTP answer (refused, reset, TLS, deadline). `tls` when the handshake failed. */
export class HttpTransportError extends Error {
  readonly tls: boolean;
  constructor(message: string, tls: boolean, cause?: unknown) {
    super(message, { cause });
    this.name = 'HttpTransportError';
    this.tls = tls;
  }
}

const TLS_PROTOCOL_CODES = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

function deadlineMessage(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error && r.message ? r.message : 'context deadline exceeded';
}

/** Sends one request; resolves when the answer's headers arrive. */
export function send(req: HttpRequest, agent: http.Agent): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal.aborted) {
      reject(new HttpTransportError(deadlineMessage(req.signal), false));
      return;
    }
    const mod = req.url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    const r = mod.request(req.url, { method: req.method, headers, agent, signal: req.signal });
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (req.signal.aborted) reject(new HttpTransportError(deadlineMessage(req.signal), false, err));
      else reject(new HttpTransportError(err.message, TLS_PROTOCOL_CODES.has(err.code ?? '') || err.code?.startsWith('ERR_SSL') === true, err));
    });
    r.on('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }));
    r.end(req.body);
  });
}

/**
 * Reads a body whole, up to `cap` bytes: past the cap the connection is destroyed at once (no
 * more bytes are read, none are kept) and the read fails OVERSIZE. A Content-Length over the cap
 * fails before any byte is read.
 */
export async function readCapped(res: HttpResponse, cap: number, what: string, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) {
    res.body.destroy();
    throw new ImagePolicyError('OVERSIZE', `${what}: ${declared} bytes exceeds the limit of ${cap} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > cap) {
        res.body.destroy();
        throw new ImagePolicyError('OVERSIZE', `${what}: more than ${cap} bytes, the limit`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ImagePolicyError) throw err;
    throw new HttpTransportError(signal.aborted ? deadlineMessage(signal) : (err as Error).message, false, err);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Drops a body we do not need: a short one is drained so its kept-alive connection serves the
 * next request; a long or unsized one is cut rather than read.
 */
export function discard(res: HttpResponse): void {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared <= 64 * 1024) res.body.resume();
  else res.body.destroy();
}
