/**
 * `kubectl logs` from a CRI log file, as the kubelet's ReadLogs (pkg/kubelet/kuberuntime/logs):
 * tailLines counts the file's complete lines from the end (an unterminated last line is not
 * counted but still shown), partial (P) records join their line, sinceTime skips older records,
 * timestamps prefixes each record with its time in RFC3339Nano with nine digits, limitBytes cuts
 * the output, and follow waits for more (re-opening a file rotated under it) until the container
 * stops running. Records that do not parse are skipped, as upstream logs and skips them.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { drained } from '../../../util/drained.ts';
import { parseCriLogLine } from './cri-log.ts';

export interface ReadLogOptions {
  /** Last N lines; undefined or negative: all. */
  tailLines?: number;
  limitBytes?: number;
  since?: Date;
  follow?: boolean;
  timestamps?: boolean;
  /** Only this stream (PodLogOptions.stream); both by default. */
  stream?: 'stdout' | 'stderr';
}

export interface FollowControl {
  /** Whether the container still runs (following stops at the end of the file once it does not). */
  isRunning(): Promise<boolean>;
  signal?: AbortSignal;
  /** How often a followed file is checked for more (the kubelet's forced check is 1 s). */
  pollMs?: number;
}

const BLOCK = 1024;

/** The offset of the start of the last n complete lines (the kubelet's tail.FindTailLineStartIndex). */
export async function tailStart(fh: FileHandle, n: number | undefined): Promise<number> {
  if (n === undefined || n < 0) return 0;
  const size = (await fh.stat()).size;
  let left = size;
  let count = 0;
  let buf = Buffer.alloc(0);
  for (let right = size; right > 0 && count <= n; right -= BLOCK) {
    left = Math.max(0, right - BLOCK);
    buf = Buffer.alloc(right - left);
    await fh.read(buf, 0, buf.length, left);
    count += buf.reduce((c, b) => c + (b === 0x0a ? 1 : 0), 0);
  }
  for (; count > n; count--) {
    const idx = buf.indexOf(0x0a) + 1;
    buf = buf.subarray(idx);
    left += idx;
  }
  return left;
}

/** RFC3339NanoFixed: always nine fractional digits. */
export function fixedNano(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

/** Writes with backpressure; a sink that closed ends the wait (the reader stops at its next check). */
async function write(sink: Writable, chunk: Buffer): Promise<void> {
  if (!sink.write(chunk)) await drained(sink);
}

export async function readCriLogs(path: string, opts: ReadLogOptions, sink: Writable, ctl?: FollowControl): Promise<void> {
  let fh = await open(path, 'r');
  try {
    let pos = await tailStart(fh, opts.tailLines);
    const limited = opts.tailLines !== undefined && opts.tailLines >= 0 && !opts.follow;
    let remainingLines = limited ? (opts.tailLines as number) : Infinity;
    let remainingBytes = opts.limitBytes !== undefined && opts.limitBytes >= 0 ? opts.limitBytes : Infinity;
    const since = opts.since?.getTime() ?? -Infinity;
    let pending = Buffer.alloc(0);
    const chunk = Buffer.alloc(64 * 1024);

    /** Emits one file line; false when the output limit is reached. */
    const emit = async (line: Buffer): Promise<boolean> => {
      const rec = parseCriLogLine(line.toString('utf8'));
      if (!rec) return true;
      remainingLines--;
      if (Date.parse(rec.time) < since || (opts.stream && rec.stream !== opts.stream)) return true;
      let out = Buffer.from(rec.partial ? rec.text : `${rec.text}\n`, 'utf8');
      if (opts.timestamps) out = Buffer.concat([Buffer.from(`${fixedNano(rec.time)} `), out]);
      if (out.length > remainingBytes) out = out.subarray(0, remainingBytes);
      remainingBytes -= out.length;
      await write(sink, out);
      return remainingBytes > 0;
    };

    for (;;) {
      if (remainingLines <= 0 || ctl?.signal?.aborted || sink.destroyed) return;
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        let buf = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : Buffer.from(chunk.subarray(0, bytesRead));
        let nl: number;
        while ((nl = buf.indexOf(0x0a)) >= 0) {
          if (remainingLines <= 0) return;
          if (!(await emit(buf.subarray(0, nl)))) return;
          buf = buf.subarray(nl + 1);
        }
        pending = Buffer.from(buf);
        continue;
      }
      // End of the file.
      if (!opts.follow || !ctl) {
        if (pending.length > 0 && remainingLines > 0) await emit(pending);
        return;
      }
      const running = await ctl.isRunning();
      // A rotated file: go on with the new one from its start, as the kubelet re-opens it.
      const rotated = await stat(path).then(
        async (s) => s.ino !== (await fh.stat()).ino,
        () => false,
      );
      if (rotated) {
        await fh.close();
        fh = await open(path, 'r');
        pos = 0;
        pending = Buffer.alloc(0);
        continue;
      }
      if (!running) {
        // One more read: what the container wrote last may have landed after our read.
        const { bytesRead: more } = await fh.read(chunk, 0, 1, pos);
        if (more === 0) return;
        continue;
      }
      // The abort listener goes with each wait: a follow polls for hours, and listeners left on the
      // signal would pile up four a second.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          ctl.signal?.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, ctl.pollMs ?? 250);
        ctl.signal?.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    await fh.close();
  }
}
