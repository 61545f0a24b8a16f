/**
 * `kubectl attach` on runc: the container's output is already read by its log relay (the FIFOs
 * have one reader, the agent), so an attach taps the relay's raw chunks of stdout and stderr from
 * now on, as containerd's attach joins its live output; input goes into the container's stdin
 * FIFO (kept when the container has stdin or a terminal; the shim holds it open, so the process
 * never sees end of file: stdinOnce is not honoured). The attach lasts until the process has
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

/** `shimPid`: the container's shim, above the terminal runc relays (with tty), for resizes. */
export async function attachStreams(relay: LogRelay, stdinFifo: string | undefined, opts: AttachOptions, shimPid?: number): Promise<void> {
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
  if (opts.stdin && stdinFifo) {
    // The shim holds the read end, so a non-blocking open for writing succeeds at once.
    input = new Socket({ fd: openSync(stdinFifo, constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true });
    input.on('error', () => undefined);
    opts.stdin.pipe(input, { end: false });
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
      input.destroy();
    }
  }
}
