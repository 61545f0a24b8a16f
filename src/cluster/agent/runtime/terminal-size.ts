/**
 * Resizing a process's terminal from outside: runc in the foreground relays its own terminal (the
 * pseudo-terminal script(1) gives it) to the container's console and copies that terminal's size
 * over on SIGWINCH. So the size is set on script's pseudo-terminal with stty(1) (TIOCSWINSZ on
 * the slave), and the kernel sends SIGWINCH to its foreground process group: runc. The terminal is
 * found as fd 0 of the first descendant of `rootPid` whose stdin is a /dev/pts device: for an exec
 * that is script's child, for an attach the shim's grandchild.
 */
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { TerminalSize } from './types.ts';

/** The /proc path of the pseudo-terminal runc reads from, or undefined (not started yet, gone). */
export async function findRelayTerminal(rootPid: number, maxDepth = 3): Promise<string | undefined> {
  let level = [rootPid];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: number[] = [];
    for (const pid of level) {
      const fd0 = `/proc/${pid}/fd/0`;
      if (depth > 0 && (await readlink(fd0).catch(() => '')).startsWith('/dev/pts/')) return fd0;
      const kids = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
      next.push(...kids.split(' ').filter(Boolean).map(Number));
    }
    level = next;
  }
  return undefined;
}

function stty(path: string, s: TerminalSize): Promise<void> {
  return new Promise((resolve, reject) => execFile('stty', ['-F', path, 'rows', String(s.height), 'cols', String(s.width)], (err) => (err ? reject(err) : resolve())));
}

/**
 * Applies every size `sizes` yields to the terminal under `rootPid`, the newest first when they
 * come faster than they are applied; waits (a bounded while) for the terminal to exist, since the
 * client's first size comes as soon as the session opens.
 */
export function followTerminalSize(rootPid: number, sizes: Readable, signal?: AbortSignal): void {
  let latest: TerminalSize | undefined;
  let busy = false;
  const apply = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (let tries = 0; latest && !signal?.aborted; ) {
        const s = latest;
        const tty = await findRelayTerminal(rootPid);
        if (!tty) {
          if (++tries > 50) return;
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        await stty(tty, s).catch(() => undefined);
        if (latest === s) latest = undefined;
      }
    } finally {
      busy = false;
    }
  };
  sizes.on('data', (s: TerminalSize) => {
    latest = s;
    void apply();
  });
  sizes.on('error', () => undefined);
}
