/**
 * The CRI container log format the kubelet reads for `kubectl logs`: one line per record,
 * `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <text>`. A line longer than the maximum is split
 * into P (partial) records ending with an F record, as containerd's CRI logger does (16 KiB), so a
 * process that never writes a newline cannot grow the relay's buffer without bound.
 */
import type { Readable } from 'node:stream';

export const MAX_LOG_LINE = 16 * 1024;

export type LogStream = 'stdout' | 'stderr';

export interface CriLogRecord {
  time: string;
  stream: LogStream;
  partial: boolean;
  text: string;
}

/** A line of a CRI log file; undefined for a line that is not one. */
export function parseCriLogLine(line: string): CriLogRecord | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1] ?? '', stream: m[2] as LogStream, partial: m[3] === 'P', text: m[4] ?? '' };
}

export interface LogSink {
  write(line: string): void;
}

/**
 * Copies one output stream of a container into the sink as CRI records. Resolves when the stream
 * ends (the container and every process holding its output closed it).
 */
export function relayCriLog(src: Readable, stream: LogStream, sink: LogSink, now: () => Date, maxLine = MAX_LOG_LINE): Promise<void> {
  let pending = Buffer.alloc(0);
  const emit = (chunk: Buffer, partial: boolean): void => {
    sink.write(`${now().toISOString()} ${stream} ${partial ? 'P' : 'F'} ${chunk.toString('utf8')}\n`);
  };
  return new Promise((resolve) => {
    src.on('data', (data: Buffer) => {
      let buf = pending.length > 0 ? Buffer.concat([pending, data]) : data;
      for (;;) {
        const nl = buf.indexOf(0x0a);
        if (nl >= 0 && nl <= maxLine) {
          emit(buf.subarray(0, nl), false);
          buf = buf.subarray(nl + 1);
        } else if (buf.length >= maxLine) {
          emit(buf.subarray(0, maxLine), true);
          buf = buf.subarray(maxLine);
        } else {
          break;
        }
      }
      pending = Buffer.from(buf);
    });
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      if (pending.length > 0) emit(pending, false);
      pending = Buffer.alloc(0);
      resolve();
    };
    src.once('end', done);
    src.once('error', done);
    src.once('close', done);
  });
}
