/**
 * `kubectl attach` on runc: the container's output is already read by its log relay (the FIFOs
 * have one reader, the agent), so an attach taps the relay's raw chunks of stdout and stderr from
 * now on, as containerd's attach joins its live output; input goes into the container's stdin
 * FIFO (kept when the container has stdin or a terminal; the shim holds it open, so the process
 * never sees end of file: stdinOnce is not honoured). The attach lasts until the process has
 * exited (the relay is done) or the client goes.
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { LogRelay } from './log-relay.ts';
import { followTerminalSize } from './terminal-size.ts';
import type { AttachOptions } from './types.ts';

/** `shimPid`: the container's shim, above the terminal runc relays (with tty), for resizes. */
export async function attachStreams(relay: LogRelay, stdinFifo: string | undefined, opts: AttachOptions, shimPid?: number): Promise<void> {
  const ended = new AbortController();
  if (opts.tty && opts.resize && shimPid) followTerminalSize(shimPid, opts.resize, ended.signal);
  else opts.resize?.resume();
  const untap: Array<() => void> = [];
  if (opts.stdout) untap.push(relay.tap('stdout', (c) => void opts.stdout!.write(c)));
  if (opts.stderr && !opts.tty) untap.push(relay.tap('stderr', (c) => void opts.stderr!.write(c)));
  let input: Socket | undefined;
  if (opts.stdin && stdinFifo) {
    // The shim holds the read end, so a non-blocking open for writing succeeds at once.
    input = new Socket({ fd: openSync(stdinFifo, constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true });
    input.on('error', () => undefined);
    opts.stdin.pipe(input, { end: false });
  } else opts.stdin?.resume();
  try {
    await new Promise<void>((resolve) => {
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
