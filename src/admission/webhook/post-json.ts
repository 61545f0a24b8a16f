/**
 * One HTTPS POST of a JSON body with a deadline, failing the way Go's HTTP client words it, since
 * those words end up in the Status message (`Post "<url>": context deadline exceeded`).
 */
import https from 'node:https';
import type { CallTarget } from './resolve-target.ts';

/** Webhook responses past this size are refused rather than buffered. */
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export class PostError extends Error {}

export interface PostResult {
  status: number;
  body: string;
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

function goMessage(err: NodeJS.ErrnoException & { reason?: string }, t: CallTarget): string {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return `dial tcp ${t.connectHost}:${t.connectPort}: connect: connection refused`;
  if (code === 'ENOTFOUND') return `dial tcp: lookup ${t.connectHost}: no such host`;
  if (code === 'ECONNRESET') return 'EOF';
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${err.reason ?? err.message}`;
  return err.message;
}

/** Resolves with any HTTP answer; rejects with a PostError carrying Go's wording. */
export function postJson(t: CallTarget, pathAndQuery: string, body: string, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (msg: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new PostError(msg));
    };
    const req = https.request({
      method: 'POST',
      host: t.connectHost,
      port: t.connectPort,
      path: pathAndQuery,
      servername: t.servername,
      ca: t.ca,
      rejectUnauthorized: true,
      agent: false,
      headers: {
        host: t.url.host,
        'content-type': 'application/json',
        accept: 'application/json, */*',
        'content-length': Buffer.byteLength(body),
      },
    });
    const timer = setTimeout(() => fail('context deadline exceeded'), timeoutMs);
    req.on('error', (err) => fail(goMessage(err, t)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) fail(`response body larger than ${MAX_RESPONSE_BYTES} bytes`);
        else chunks.push(c);
      });
      res.on('error', (err) => fail(goMessage(err, t)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(body);
  });
}
