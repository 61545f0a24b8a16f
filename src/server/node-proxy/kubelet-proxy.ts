/**
 * The API server's connection to a node agent (kube-apiserver's kubelet client): HTTPS verified
 * against the cluster CA (the agent's kubelet-serving certificate names the address dialled),
 * presenting the API server's own kubelet-client certificate; the user's credentials never go
 * along. Two shapes: a plain GET streamed back (logs), and an upgrade proxied byte for byte once
 * the agent has answered 101 (exec, attach, port-forward).
 *
 * CVE-2018-1002105: when the agent does not switch protocols, its answer goes back as a Status
 * and the client's connection is closed; bytes the client sent after its request never reach the
 * agent on a connection the API server authenticated, and the client cannot reuse the socket.
 */
import { request, type RequestOptions } from 'node:https';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, internalError, type StatusReason } from '../../api/errors.ts';
import { statusFromError, statusJson } from '../status.ts';
import type { KubeletAddress } from './kubelet-location.ts';
import { agentError, MAX_ERROR_BODY } from './response-checker.ts';

export interface KubeletClientTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Connection and response-header timeout; a followed log or an exec may then stay quiet for long. */
const CONNECT_TIMEOUT_MS = 30_000;

export interface KubeletTarget {
  tls: KubeletClientTls;
  addr: KubeletAddress;
  path: string;
  /** Parameters to encode, or a raw query passed on as it is (nodes/proxy). */
  query: URLSearchParams | string;
  /** For errors: the qualified resource (pods/log) and the pod's name. */
  resource: string;
  name: string;
}

function options(t: KubeletTarget, method: string, headers: Record<string, string>): RequestOptions {
  const qs = String(t.query);
  return {
    host: t.addr.host, port: t.addr.port, method, path: `${t.path}${qs ? `?${qs}` : ''}`, headers,
    ca: t.tls.caPem, cert: t.tls.certPem, key: t.tls.keyPem,
    // Verified against the cluster CA for the name dialled (an IP address SAN for InternalIP).
    servername: /^[\d.]+$|:/.test(t.addr.host) ? undefined : t.addr.host,
    minVersion: 'TLSv1.2',
    agent: false,
  };
}

function readBounded(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    res.on('data', (c: Buffer) => {
      if (n < MAX_ERROR_BODY) parts.push(c.subarray(0, MAX_ERROR_BODY - n));
      n += c.length;
    });
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function writeStatus(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  const s = statusFromError(err);
  res.writeHead(s.code, { 'content-type': 'application/json' });
  res.end(statusJson(s));
}

/**
 * One request to the agent whose answer goes into `res`: `answer` writes the head and returns
 * whether the body is to follow (piped as it comes); a failure to connect is upstream's 500.
 */
function forward(t: KubeletTarget, method: string, headers: Record<string, string>, body: Buffer | undefined, res: ServerResponse, answer: (agent: IncomingMessage) => Promise<boolean>): Promise<void> {
  return new Promise((done) => {
    const out = request(options(t, method, body ? { ...headers, 'content-length': String(body.length) } : headers));
    out.setTimeout(CONNECT_TIMEOUT_MS, () => out.destroy(new Error('timeout awaiting response headers')));
    out.on('response', async (agent) => {
      out.setTimeout(0);
      if (!(await answer(agent))) return done();
      agent.pipe(res);
      agent.on('end', () => done());
      agent.on('error', () => {
        res.destroy();
        done();
      });
    });
    out.on('error', (err) => {
      writeStatus(res, agentUnreachable(err));
      done();
    });
    res.on('close', () => {
      out.destroy();
      done();
    });
    out.end(body);
  });
}

/** GET on the agent, streamed into `res` as text/plain (flushed as it comes for follow). */
export function proxyStream(t: KubeletTarget, res: ServerResponse): Promise<void> {
  return forward(t, 'GET', {}, undefined, res, async (agent) => {
    const code = agent.statusCode ?? 502;
    if (code < 200 || code > 206) {
      writeStatus(res, agentError(code, await readBounded(agent), t.resource, t.name));
      return false;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    return true;
  });
}

/** Hop-by-hop headers (RFC 7230 6.1): they describe one connection and are not passed along. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Any request to the agent, its answer passed back as it is (code, end-to-end headers, body
 * streamed), as upstream's UpgradeAwareHandler proxies nodes/proxy. Only the headers named go to
 * the agent: the user's credentials were spent on this server.
 */
export function proxyPassThrough(t: KubeletTarget, method: string, headers: Record<string, string>, body: Buffer | undefined, res: ServerResponse): Promise<void> {
  return forward(t, method, headers, body, res, async (agent) => {
    const pass: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(agent.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) pass[k] = v;
    res.writeHead(agent.statusCode ?? 502, pass);
    return true;
  });
}

/** Upstream's answer when the kubelet cannot be reached: a 500 naming the dial error. */
function agentUnreachable(err: Error): Error {
  return internalError(`error dialing backend: ${err.message}`);
}

const REFUSAL_REASONS: Record<number, StatusReason> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 500: 'InternalError' };

/** An agent's refusal of an upgrade as a Status: its code, its text as the message. */
function agentRefusal(code: number, text: string): ApiError {
  return new ApiError(code, REFUSAL_REASONS[code] ?? ('' as StatusReason), text.trim() || (STATUS_CODES[code] ?? 'upgrade refused'));
}

/** The headers of the client's upgrade request that the agent needs for the handshake (WebSocket, or SPDY's protocol versions). */
const UPGRADE_HEADERS = ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version'];

/**
 * Proxies an upgrade: the agent's 101 and everything after it go back to `client` unchanged, and
 * the client's bytes to the agent. Any other answer is sent as a Status and `client` is closed.
 * Resolves once it is all over, with the code the client got (101 or the refusal's).
 */
export function proxyUpgrade(t: KubeletTarget, req: IncomingMessage, client: Duplex, head: Buffer, switched?: () => void): Promise<number> {
  return new Promise((resolve) => {
    let code = 0;
    const done = () => resolve(code);
    const headers: Record<string, string> = {};
    for (const h of UPGRADE_HEADERS) {
      const v = req.headers[h];
      if (v !== undefined) headers[h] = Array.isArray(v) ? v.join(', ') : v;
    }
    const out = request(options(t, req.method ?? 'GET', headers));
    out.setTimeout(CONNECT_TIMEOUT_MS, () => out.destroy(new Error('timeout awaiting response headers')));
    const refuse = (err: unknown) => {
      const s = statusFromError(err);
      code = s.code;
      const body = statusJson(s);
      client.end(`HTTP/1.1 ${s.code} ${STATUS_CODES[s.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      client.once('finish', () => client.destroy());
      done();
    };
    client.on('close', () => out.destroy());
    out.on('upgrade', (agent, agentSocket, agentHead) => {
      out.setTimeout(0);
      code = 101;
      switched?.();
      const lines = [`HTTP/1.1 101 Switching Protocols`];
      for (let i = 0; i < agent.rawHeaders.length; i += 2) lines.push(`${agent.rawHeaders[i]}: ${agent.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (agentHead.length > 0) client.write(agentHead);
      if (head.length > 0) agentSocket.write(head);
      agentSocket.pipe(client);
      client.pipe(agentSocket);
      const end = () => {
        agentSocket.destroy();
        client.destroy();
        done();
      };
      agentSocket.on('close', end);
      agentSocket.on('error', end);
      client.on('close', end);
      client.on('error', end);
    });
    out.on('response', async (agent) => {
      out.setTimeout(0);
      // As upstream's UpgradeAwareHandler, the agent's own answer goes back (its code and text).
      refuse(agentRefusal(agent.statusCode ?? 502, await readBounded(agent)));
    });
    out.on('error', (err) => refuse(agentUnreachable(err)));
    out.end();
  });
}
