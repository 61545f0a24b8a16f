/**
 * `kubectl exec` on the agent: the kubelet's remotecommand over the WebSocket channel protocol.
 * Streams are asked for with stdin/stdout/stderr/tty = "1" (what the API server sends); with a
 * terminal stderr is merged into stdout, as upstream. The session ends with a Status on the error
 * channel (3): Success, NonZeroExitCode with the exit code as a cause (kubectl exits with it), or
 * InternalError; then the connection is closed. The exec'd process is killed when the client goes.
 */
import type { ContainerRuntime } from '../runtime/types.ts';
import { StreamTargetError } from './find-container.ts';
import type { ChannelConn } from './channels.ts';

export interface ExecRequest {
  argv: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The kubelet's remotecommand NewOptions: flags are on only as "1". */
export function execRequest(q: URLSearchParams): ExecRequest {
  const on = (k: string) => q.get(k) === '1';
  const r = { argv: q.getAll('command'), stdin: on('stdin'), stdout: on('stdout'), stderr: on('stderr'), tty: on('tty') };
  if (!r.stdin && !r.stdout && !r.stderr) throw new StreamTargetError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  if (r.argv.length === 0) throw new StreamTargetError(400, 'you must specify at least 1 command');
  if (r.tty) r.stderr = false;
  return r;
}

/** The Status the kubelet writes on the error channel for an exit code (metav1.Status field order). */
export function exitStatus(argv: readonly string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function internalError(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}

export async function runExec(runtime: ContainerRuntime, containerId: string, r: ExecRequest, conn: ChannelConn): Promise<void> {
  const abort = new AbortController();
  conn.ws.on('close', () => abort.abort());
  const stdout = r.stdout ? conn.writer(1) : undefined;
  const stderr = r.stderr ? conn.writer(2) : undefined;
  // Terminal size changes (channel 4) are read and dropped: the runtime cannot resize an exec's terminal.
  if (r.tty) conn.reader(4).resume();
  let status: Record<string, unknown>;
  try {
    const res = await runtime.exec(containerId, { argv: r.argv, tty: r.tty, stdin: r.stdin ? conn.reader(0) : undefined, stdout, stderr, signal: abort.signal });
    status = exitStatus(r.argv, res.exitCode);
  } catch (err) {
    status = internalError(`error executing command in container: ${(err as Error).message}`);
  }
  // Everything written before the status goes out before it (one socket, messages in order).
  await Promise.all([stdout, stderr].map((w) => w && endWritable(w)));
  await new Promise<void>((resolve) => conn.send(3, JSON.stringify(status), () => resolve()));
  conn.close();
}

function endWritable(w: NodeJS.WritableStream & { writableFinished?: boolean; destroyed?: boolean }): Promise<void> {
  if (w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', resolve);
    w.once('error', () => resolve());
    w.once('close', resolve);
    w.end();
  });
}
