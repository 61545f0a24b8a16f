/**
 * `kubectl exec` (and, with runAttach in attach-session.ts, `kubectl attach`) on the agent: the kubelet's remotecommand over the WebSocket channel protocol.
 * Streams are asked for with stdin/stdout/stderr/tty = "1" (what the API server sends); with a
 * terminal stderr is merged into stdout, as upstream. The session ends with a Status on the error
 * channel (3): Success, NonZeroExitCode with the exit code as a cause (kubectl exits with it), or
 * InternalError; then the connection is closed. The exec'd process is killed when the client goes.
 */
import type { Readable, Writable } from 'node:stream';
import type { ContainerRuntime } from '../runtime/types.ts';
import { StreamTargetError } from './find-container.ts';
import type { ChannelConn } from './channels.ts';
import { terminalSizes } from './terminal-sizes.ts';

export interface ExecRequest {
  argv: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The kubelet's remotecommand NewOptions: flags are on only as "1"; attach has no command. */
export function execRequest(q: URLSearchParams, attach = false): ExecRequest {
  const on = (k: string) => q.get(k) === '1';
  const r = { argv: attach ? [] : q.getAll('command'), stdin: on('stdin'), stdout: on('stdout'), stderr: on('stderr'), tty: on('tty') };
  if (!r.stdin && !r.stdout && !r.stderr) throw new StreamTargetError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  if (r.argv.length === 0 && !attach) throw new StreamTargetError(400, 'you must specify at least 1 command');
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

export function internalError(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}

/** The streams of one exec session, whichever protocol carries them. */
export interface ExecIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Terminal size changes (JSON {Width, Height}), with a terminal. */
  resize?: Readable;
  writeStatus(json: string): Promise<void>;
  close(): void;
  /** Called when the client goes away (the exec'd process is then killed). */
  onGone(cb: () => void): void;
}

/** The WebSocket channels of an exec: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize. */
export function channelIO(conn: ChannelConn, r: ExecRequest): ExecIO {
  return {
    stdin: r.stdin ? conn.reader(0) : undefined,
    stdout: r.stdout ? conn.writer(1) : undefined,
    stderr: r.stderr ? conn.writer(2) : undefined,
    resize: r.tty ? conn.reader(4) : undefined,
    writeStatus: (json) => new Promise<void>((resolve) => conn.send(3, json, () => resolve())),
    close: () => conn.close(),
    onGone: (cb) => conn.ws.on('close', cb),
  };
}

export async function runExec(runtime: ContainerRuntime, containerId: string, r: ExecRequest, io: ExecIO): Promise<void> {
  const abort = new AbortController();
  io.onGone(() => abort.abort());
  let status: Record<string, unknown>;
  try {
    const res = await runtime.exec(containerId, { argv: r.argv, tty: r.tty, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, signal: abort.signal, resize: io.resize && terminalSizes(io.resize) });
    status = exitStatus(r.argv, res.exitCode);
  } catch (err) {
    status = internalError(`error executing command in container: ${(err as Error).message}`);
  }
  await endSession(io, status);
}

/** Ends the output streams, then writes the final Status and closes: everything written before the status goes out before it (one connection, in order). */
export async function endSession(io: ExecIO, status: Record<string, unknown>): Promise<void> {
  await Promise.all([io.stdout, io.stderr].map((w) => w && endWritable(w)));
  await io.writeStatus(JSON.stringify(status));
  io.close();
}

/** Ends `w` unless already ended, resolving once it has finished (SPDY streams are readable-stream 2: no writableFinished). */
function endWritable(w: Writable): Promise<void> {
  const st = (w as unknown as { _writableState?: { ending?: boolean; finished?: boolean } })._writableState;
  if (w.writableFinished || w.destroyed || st?.finished) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', resolve);
    w.once('error', () => resolve());
    w.once('close', resolve);
    if (!w.writableEnded && !st?.ending) w.end();
  });
}
