/**
 * What one probe attempt tells (pkg/probe's Result plus its output): success, failure (with the
 * output the Unhealthy event shows), or an error (the probe could not be run at all: a bad port
 * name, no pod IP), which upstream retries and otherwise throws away.
 */
import type { Container } from 'kubernetes-types/core/v1.js';

export type ProbeOutcome = { readonly result: 'success' | 'failure'; readonly output: string; readonly warning?: boolean } | { readonly result: 'error'; readonly output: string };

export const success = (output = ''): ProbeOutcome => ({ result: 'success', output });
/** probe.Warning: counts as success, with a ProbeWarning event. */
export const warning = (output: string): ProbeOutcome => ({ result: 'success', output, warning: true });
export const failure = (output: string): ProbeOutcome => ({ result: 'failure', output });
export const errored = (output: string): ProbeOutcome => ({ result: 'error', output });

/** Upstream's limit on what a probe reads of a command's output or a response body (10 KiB). */
export const MAX_PROBE_OUTPUT = 10 * 1024;

/**
 * probe.ResolveContainerPort: a number is taken as it is; a name is looked up among the
 * container's ports (containerPort). Out of 1-65535 is an error.
 */
export function resolveContainerPort(port: number | string | undefined, container: Container): number {
  let n: number | undefined;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string') {
    n = /^\d+$/.test(port) ? Number(port) : container.ports?.find((p) => p.name === port)?.containerPort;
    if (n === undefined) throw new Error(`couldn't find port: ${port} in ${container.name}`);
  }
  if (n === undefined || !Number.isInteger(n) || n <= 0 || n >= 65536) throw new Error(`invalid port number: ${n ?? port}`);
  return n;
}

/** net.JoinHostPort: an IPv6 literal goes in brackets. */
export const joinHostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** What Go's dialer says for a failed connection (as the Unhealthy event shows it). */
export function dialError(hostPort: string, err: NodeJS.ErrnoException | Error, timedOut: boolean): string {
  if (timedOut) return `dial tcp ${hostPort}: i/o timeout`;
  const code = (err as NodeJS.ErrnoException).code;
  const text: Record<string, string> = {
    ECONNREFUSED: 'connect: connection refused', EHOSTUNREACH: 'connect: no route to host', ENETUNREACH: 'connect: network is unreachable', ECONNRESET: 'read: connection reset by peer',
  };
  return `dial tcp ${hostPort}: ${(code && text[code]) ?? err.message}`;
}
