/**
 * An httpGet probe or lifecycle hook (pkg/probe/http): GET scheme://host:port/path with the
 * action's headers, User-Agent kube-probe/<major>.<minor> (kube-lifecycle for hooks) and an Accept of any type
 * unless the action sets them, to the pod IP unless the action names a host. HTTPS is not
 * verified (upstream's prober skips verification too). Redirects to the same host are followed
 * (at most 10); one to another host is not, and counts as success with a warning, as upstream's
 * prober (followNonLocalRedirects false). At most 10 KiB of the body is read. Its own small client, not the API transport: no identity, no
 * retries, plain HTTP to pod addresses.
 */
import http from 'node:http';
import https from 'node:https';
import type { Container, HTTPGetAction } from 'kubernetes-types/core/v1.js';
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from '../../../server/version.ts';
import { dialError, failure, joinHostPort, MAX_PROBE_OUTPUT, resolveContainerPort, success, warning, type ProbeOutcome } from './outcome.ts';

export interface HttpGetRequest {
  readonly url: URL;
  readonly headers: Record<string, string>;
}

/** NewRequestForHTTPGetAction. Throws for an action that cannot be turned into a request. */
export function httpGetRequest(action: HTTPGetAction, container: Container, podIP: string | undefined, purpose: 'probe' | 'lifecycle'): HttpGetRequest {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() || 'http';
  const host = action.host || podIP;
  if (!host) throw new Error('the pod has no IP address yet');
  const port = resolveContainerPort(action.port as number | string, container);
  const path = action.path ?? '';
  const url = new URL(`${scheme}://${joinHostPort(host, port)}${path.startsWith('/') ? '' : '/'}${path}`);
  const headers: Record<string, string> = {};
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  const has = (name: string) => Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!has('user-agent')) headers['User-Agent'] = `kube-${purpose}/${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}`;
  const accept = has('accept');
  if (!accept) headers.Accept = '*/*';
  else if (headers[accept] === '') delete headers[accept];
  return { url, headers };
}

/** The response's status and (at most 10 KiB of) its body, or throws with Go's wording of the failure. */
export function httpGet(req: HttpGetRequest, timeoutMs: number): Promise<{ status: number; body: string; location?: string }> {
  const lib = req.url.protocol === 'https:' ? https : http;
  const hostPort = joinHostPort(req.url.hostname.replace(/^\[|\]$/g, ''), Number(req.url.port));
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const r = lib.get(req.url, { headers: req.headers, rejectUnauthorized: false, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_PROBE_OUTPUT) chunks.push(c.subarray(0, MAX_PROBE_OUTPUT - size));
        size += c.length;
        if (size >= MAX_PROBE_OUTPUT) res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(res.headers.location ? { location: res.headers.location } : {}) });
      res.on('end', done);
      res.on('close', done);
      res.on('error', () => done());
    });
    const deadline = setTimeout(() => {
      timedOut = true;
      r.destroy(new Error('timeout'));
    }, timeoutMs);
    r.on('timeout', () => {
      timedOut = true;
      r.destroy(new Error('timeout'));
    });
    r.on('error', (err) => {
      const why = timedOut ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : dialError(hostPort, err, false);
      reject(new Error(`Get "${req.url.href}": ${why}`));
    });
    r.on('close', () => clearTimeout(deadline));
  });
}

const MAX_REDIRECTS = 10;

/** DoHTTPProbe: 200-399 is success; another status or no answer a failure. The timeout covers the redirects too. */
export async function httpProbe(action: HTTPGetAction, container: Container, podIP: string | undefined, timeoutMs: number): Promise<ProbeOutcome> {
  const first = httpGetRequest(action, container, podIP, 'probe');
  const deadline = Date.now() + timeoutMs;
  let req = first;
  try {
    for (let hops = 0; ; hops++) {
      const res = await httpGet(req, Math.max(1, deadline - Date.now()));
      if (res.status >= 300 && res.status < 400 && res.location) {
        const next = new URL(res.location, req.url);
        if (next.hostname !== first.url.hostname) return warning(`Probe terminated redirects, Response body: ${res.body}`);
        if (hops + 1 >= MAX_REDIRECTS) return failure(`Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects`);
        req = { url: next, headers: req.headers };
        continue;
      }
      if (res.status >= 300 && res.status < 400) return warning(`Probe terminated redirects, Response body: ${res.body}`);
      if (res.status >= 200 && res.status < 400) return success(res.body);
      return failure(`HTTP probe failed with statuscode: ${res.status}`);
    }
  } catch (err) {
    return failure((err as Error).message);
  }
}
