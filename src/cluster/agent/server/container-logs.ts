/**
 * GET /containerLogs/{namespace}/{pod}/{container}: the kubelet's getContainerLogs over the CRI log
 * file (readCriLogs). The query is what the API server sends after validating PodLogOptions
 * (follow, previous, timestamps, sinceSeconds, sinceTime, tailLines, limitBytes, stream); bad
 * numbers are refused here as well, since the agent serves more clients than the API server.
 */
import { access } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { ContainerRuntime } from '../runtime/types.ts';
import { readCriLogs, type ReadLogOptions } from '../runtime/read-logs.ts';
import { findContainer, StreamTargetError } from './find-container.ts';

function intParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new StreamTargetError(400, `${name}: invalid value ${JSON.stringify(v)}`);
  return Number(v);
}

export function logOptions(q: URLSearchParams, now: Date): ReadLogOptions & { previous: boolean } {
  const sinceSeconds = intParam(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  let since: Date | undefined;
  if (sinceSeconds !== undefined) since = new Date(now.getTime() - sinceSeconds * 1000);
  else if (sinceTime !== null) {
    since = new Date(sinceTime);
    if (Number.isNaN(since.getTime())) throw new StreamTargetError(400, `sinceTime: invalid value ${JSON.stringify(sinceTime)}`);
  }
  const stream = q.get('stream');
  if (stream !== null && stream !== 'All' && stream !== 'Stdout' && stream !== 'Stderr') throw new StreamTargetError(400, `stream: invalid value ${JSON.stringify(stream)}`);
  return {
    follow: q.get('follow') === 'true',
    previous: q.get('previous') === 'true',
    timestamps: q.get('timestamps') === 'true',
    tailLines: intParam(q, 'tailLines', 0),
    limitBytes: intParam(q, 'limitBytes', 1),
    since,
    stream: stream === 'Stdout' ? 'stdout' : stream === 'Stderr' ? 'stderr' : undefined,
  };
}

export async function serveContainerLogs(runtime: ContainerRuntime, ns: string, pod: string, container: string, q: URLSearchParams, now: Date, res: ServerResponse): Promise<void> {
  const opts = logOptions(q, now);
  const c = await findContainer(runtime, ns, pod, container, opts.previous);
  // A missing file is a 400 before any byte goes out, as the kubelet's failure to open it.
  await access(c.logPath).catch((err: Error) => {
    throw new StreamTargetError(400, `failed to open log file for container "${container}": ${err.message}`);
  });
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.writeHead(200, { 'content-type': 'text/plain', ...(opts.follow ? { 'cache-control': 'no-cache' } : {}) });
  res.flushHeaders();
  try {
    await readCriLogs(c.logPath, opts, res, {
      isRunning: async () => (await runtime.containerStatus(c.id))?.state === 'running',
      signal: abort.signal,
    });
  } catch (err) {
    // Headers are out: the only way to say the stream broke is to end it without a clean close.
    if (!abort.signal.aborted) res.destroy(err as Error);
    return;
  }
  res.end();
}
