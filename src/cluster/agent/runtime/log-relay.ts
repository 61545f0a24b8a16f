/**
 * The agent side of a container's output: opens the read ends of its stdout/stderr FIFOs and
 * appends CRI records to its log file. Opened before the shim starts (so output of a process that
 * exits at once is not lost) and again by a new runtime after an agent restart; ends by itself when
 * the container's process (the last writer) exits.
 */
import { constants, createWriteStream, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { relayCriLog } from './cri-log.ts';

export interface LogRelay {
  readonly done: Promise<void>;
  /** Stops reading (the agent is going away); the container keeps running and keeps its FIFOs. */
  close(): void;
}

export function openLogRelay(fifos: { stdout: string; stderr: string }, logPath: string, now: () => Date): LogRelay {
  const file = createWriteStream(logPath, { flags: 'a' });
  file.on('error', () => {
    // A full or removed log directory must not crash the agent; the container keeps running.
  });
  const sink = { write: (line: string) => void file.write(line) };
  const sockets: Socket[] = [];
  const relays = (['stdout', 'stderr'] as const).map((stream) => {
    // Non-blocking, so the open neither waits for a writer nor sees EOF before the first one came.
    const fd = openSync(fifos[stream], constants.O_RDONLY | constants.O_NONBLOCK);
    const sock = new Socket({ fd, readable: true, writable: false });
    sockets.push(sock);
    return relayCriLog(sock, stream, sink, now);
  });
  const done = Promise.all(relays).then(
    () =>
      new Promise<void>((resolve) => {
        file.end(() => resolve());
      }),
  );
  return {
    done,
    close() {
      for (const s of sockets) s.destroy();
    },
  };
}
