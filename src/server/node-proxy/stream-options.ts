/**
 * The connect subresources' options (PodExecOptions, PodAttachOptions, PodPortForwardOptions) read
 * from the query and turned into the kubelet's query as upstream's streamParams: stdin, stdout,
 * stderr and tty as "1" when set, command repeated in order, ports joined by commas as `port`.
 */
import { badRequest } from '../../api/errors.ts';
import { queryFlag } from '../rest/query-bool.ts';

export type ConnectKind = 'exec' | 'attach' | 'portforward';

export interface ConnectRequest {
  container: string;
  kubeletQuery: URLSearchParams;
}

export function connectRequest(kind: ConnectKind, q: URLSearchParams): ConnectRequest {
  const k = new URLSearchParams();
  if (kind === 'portforward') {
    const ports = q.getAll('ports').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
    for (const p of ports) {
      const n = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!(n >= 1 && n <= 65535)) throw badRequest(`unable to parse ${JSON.stringify(p)} as a port: must be 1-65535`);
    }
    if (ports.length > 0) k.set('port', ports.join(','));
    return { container: '', kubeletQuery: k };
  }
  for (const flag of ['stdin', 'stdout', 'stderr', 'tty']) if (queryFlag(q, flag)) k.set(flag, '1');
  if (kind === 'exec') for (const c of q.getAll('command')) k.append('command', c);
  return { container: q.get('container') ?? '', kubeletQuery: k };
}
