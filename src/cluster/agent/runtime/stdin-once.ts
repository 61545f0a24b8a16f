/**
 * stdinOnce on runc, as containerd's CRI attach (internal/cri/io/container_io.go): for a container
 * with stdin and stdinOnce and no terminal, the container's stdin is closed when the first attach
 * that carried stdin has its input end (the client's end of file, or the client gone); the
 * process then reads end of file, and later attaches write nothing into it. With a terminal
 * containerd keeps stdin open, and so does this.
 *
 * The mechanism: such a container's process opens its stdin FIFO read-only, and the only writer
 * that lasts is a holder process the shim starts beside it (a `sleep` keeping the FIFO open for
 * writing, its pid in stdin.holder), so the process blocks on read, not end of file, until an
 * attach comes. Closing stdin is ending the holder, once the attach's own writer is closed; a
 * stdin.closed marker keeps it closed for later attaches and across agent restarts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from './shim.ts';

/** The marker the shim reads: start a holder and give the process a read-only stdin. */
export const STDIN_ONCE_MARKER = 'stdin-once';
const HOLDER = 'stdin.holder';
const CLOSED = 'stdin.closed';
/** What the shim's holder runs (its cmdline is checked before it is killed: pids are reused). */
export const HOLDER_SECONDS = '2147483647';

export function markStdinOnce(dir: string): Promise<void> {
  return writeFile(join(dir, STDIN_ONCE_MARKER), '');
}

export function stdinOnceClosed(dir: string): Promise<boolean> {
  return exists(join(dir, CLOSED));
}

/** Closes the container's stdin for good (idempotent). */
export async function closeStdinOnce(dir: string): Promise<void> {
  await writeFile(join(dir, CLOSED), '');
  const pid = Number((await readFile(join(dir, HOLDER), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.split('\0').includes(HOLDER_SECONDS)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
