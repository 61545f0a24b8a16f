/**
 * `kubectl attach` on runc: the container's output is already read by its log relay (the FIFOs
 * have one reader, the agent), so an attach taps the relay's raw chunks of stdout and stderr from
 * now on, as containerd's attach joins its live output; input goes into the container's stdin
 * FIFO (kept when the container has stdin or a terminal; the shim holds it open, so the process
 * sees no end of file, but for stdinOnce: `closeStdin` then runs once this attach's input has
 * ended and its writer is closed, see stdin-once.ts). The attach lasts until the process has
 * exited (the relay is done) or the client goes. A client that does not read its output cannot
 * make the agent hold it: past MAX_UNREAD bytes waiting for it the attach ends with an error
 * (containerd drops a writer that fails; here the writer never blocks the log relay).
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { LogRelay } from './log-relay.ts';
import { followTerminalSize } from './terminal-size.ts';
import type { Writable } from 'node:stream';
import type { AttachOptions } from './types.ts';

/** Output bytes an attach client may leave unread before the attach is ended. */
export const MAX_UNREAD = 4 << 20;

/**
 * `shimPid`: the container's shim, above the terminal runc relays (with tty), for resizes;
 * `closeStdin`: closes the container's stdin for good, called when this attach's input ends.
 */
export async function attachStreams(relay: LogRelay, stdinFifo: string | undefined, opts: AttachOptions, shimPid?: number, closeStdin?: () => Promise<void>): Promise<void> {
  const ended = new AbortController();
  if (opts.tty && opts.resize && shimPid) followTerminalSize(shimPid, opts.resize, ended.signal);
  else opts.resize?.resume();
  const untap: Array<() => void> = [];
  let overflow: ((err: Error) => void) | undefined;
  const forward = (to: Writable, name: string) => (c: Buffer) => {
    if (to.writableLength + c.length > MAX_UNREAD) overflow?.(new Error(`the attach client left more than ${MAX_UNREAD} bytes of ${name} unread`));
    else to.write(c);
  };
  if (opts.stdout) untap.push(relay.tap('stdout', forward(opts.stdout, 'stdout')));
  if (opts.stderr && !opts.tty) untap.push(relay.tap('stderr', forward(opts.stderr, 'stderr')));
  let input: Socket | undefined;
  let closing: Promise<void> | undefined;
  let close: (() => Promise<void>) | undefined;
  if (opts.stdin && stdinFifo) {
    // The shim holds the read end, so a non-blocking open for writing succeeds at once.
    const writer = new Socket({ fd: openSync(stdinFifo, constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true });
    input = writer;
    writer.on('error', () => undefined);
    if (closeStdin) {
      // stdinOnce: the client's end of input (or its going) is the container's, once what it sent is written.
      close = () => (closing ??= new Promise<void>((r) => {
        writer.once('close', () => r());
        writer.end(() => r());
      }).then(closeStdin).catch(() => undefined));
      opts.stdin.once('end', close);
      opts.stdin.once('close', close);
      opts.signal?.addEventListener('abort', close, { once: true });
    }
    opts.stdin.pipe(writer, { end: false });
  } else opts.stdin?.resume();
  try {
    await new Promise<void>((resolve, reject) => {
      overflow = reject;
      if (opts.signal?.aborted) return resolve();
      opts.signal?.addEventListener('abort', () => resolve(), { once: true });
      void relay.done.then(resolve, resolve);
    });
  } finally {
    ended.abort();
    for (const u of untap) u();
    if (input) {
      opts.stdin?.unpipe(input);
      // However the first attach ends, the container's stdin ends with it (containerd's attachStream).
      if (close) await close();
      input.destroy();
    }
  }
}
