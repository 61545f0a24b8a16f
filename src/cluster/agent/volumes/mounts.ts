/**
 * The mounts the volume manager makes on the host, under a pod's directory: tmpfs for secret,
 * downwardAPI, projected and Memory emptyDir volumes, bind mounts for subPaths. Read back from
 * /proc/self/mountinfo, so a restarted agent finds (and keeps, or removes) what an earlier one made.
 */
import { readFile } from 'node:fs/promises';
import { isMounted, run, unmount } from '../runtime/rootfs.ts';

export { isMounted };

/** A tmpfs at path (already there: kept as it is), with a size in bytes when given. */
export async function mountTmpfs(path: string, sizeBytes?: number): Promise<void> {
  if (await isMounted(path)) return;
  const opts = ['nosuid', 'nodev', 'mode=0777', ...(sizeBytes ? [`size=${sizeBytes}`] : [])];
  await run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', path]);
}

export async function bindMount(source: string, target: string): Promise<void> {
  await run('mount', ['--bind', source, target]);
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Mount points at or below dir, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = unescape(mp);
    if (p === dir || p.startsWith(`${dir}/`)) out.add(p);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below dir (stacked mounts too). */
export async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 8; round++) {
    const mps = await mountsUnder(dir);
    if (mps.length === 0) return;
    for (const mp of mps) {
      try {
        await unmount(mp);
      } catch (err) {
        // Unmounted meanwhile by someone else (a concurrent tear-down) is what we wanted.
        if (await isMounted(mp)) throw err;
      }
    }
  }
  const left = await mountsUnder(dir);
  if (left.length) throw new Error(`still mounted under ${dir}: ${left.join(', ')}`);
}
