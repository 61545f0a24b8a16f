/**
 * `kubectl attach` on the agent (the kubelet's ServeAttach): the same remotecommand streams as
 * exec (WebSocket channels or SPDY), joined to the container's own process through the runtime.
 * The session ends when the process exits or the client goes; its Status is Success, or
 * InternalError when the runtime could not attach. Terminal sizes reach the container's terminal.
 */
import type { ContainerRuntime } from '../runtime/types.ts';
import { endSession, internalError, type ExecIO, type ExecRequest } from './exec-session.ts';
import { terminalSizes } from './terminal-sizes.ts';

export async function runAttach(runtime: ContainerRuntime, containerId: string, r: ExecRequest, io: ExecIO): Promise<void> {
  const abort = new AbortController();
  io.onGone(() => abort.abort());
  let status: Record<string, unknown> = { metadata: {}, status: 'Success' };
  try {
    await runtime.attach(containerId, { tty: r.tty, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, signal: abort.signal, resize: io.resize && terminalSizes(io.resize) });
  } catch (err) {
    status = internalError(`error attaching to container: ${(err as Error).message}`);
  }
  await endSession(io, status);
}
