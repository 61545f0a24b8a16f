/**
 * A tcpSocket probe (pkg/probe/tcp): success when a TCP connection to host:port opens within the
 * timeout (then closed at once); otherwise a failure with Go's dial error as the output.
 */
import net from 'node:net';
import type { Container, TCPSocketAction } from 'kubernetes-types/core/v1.js';
import { dialError, failure, joinHostPort, resolveContainerPort, success, type ProbeOutcome } from './outcome.ts';

export function tcpProbe(action: TCPSocketAction, container: Container, podIP: string | undefined, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolveContainerPort(action.port as number | string, container);
  const host = action.host || podIP;
  if (!host) throw new Error('the pod has no IP address yet');
  const hostPort = joinHostPort(host, port);
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(failure(dialError(hostPort, new Error('timeout'), true)));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(success());
    });
    s.once('error', (err) => {
      clearTimeout(t);
      resolve(failure(dialError(hostPort, err, false)));
    });
  });
}
