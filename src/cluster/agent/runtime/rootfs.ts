/**
 * A container's writable root: an overlay of the image's unpacked (read-only, shared) rootfs with
 * an upper directory of its own, so starting a container copies nothing and the image store is
 * never written. Where overlayfs cannot be mounted (an upper dir on a filesystem overlay refuses),
 * the rootfs is copied instead, said in the returned kind. The container's FIFOs are made by the
 * same process, started by the runtime's launcher (launcher.ts: a spawn from the agent forks all
 * of it while its event loop waits).
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostLauncher, type Launcher } from './launcher.ts';

/**
 * Runs a mount-related command (mount, umount) through the host launcher rather than a fork of
 * the agent, within 60 s (coreutils timeout); its output in the error.
 */
export async function run(cmd: string, args: string[]): Promise<void> {
  const r = await hostLauncher().run(['timeout', '60', cmd, ...args]);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.output || (r.code === 124 ? 'timed out after 60s' : `exit code ${r.code}`)}`);
}

// Arguments, never interpolated: lower upper work target, then the FIFOs to make. Prints the kind.
// The directories are made by the caller (a mkdir process less per container).
const PREPARE = `
lower=$1; upper=$2; work=$3; target=$4
shift 4
if mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$target" 2>/dev/null; then kind=overlay
else cp -a --reflink=auto "$lower/." "$target" || exit 1; kind=copy
fi
if [ $# -gt 0 ]; then mkfifo -m 0600 "$@" || exit 1; fi
echo "$kind"
`;

/**
 * Mounts (or copies) lower into dir/bundle/rootfs with dir/upper and dir/work, and makes `fifos`
 * (mode 0600), in one child process.
 */
export async function prepareRootfs(launcher: Launcher, lower: string, dir: string, fifos: readonly string[] = []): Promise<{ path: string; kind: 'overlay' | 'copy' }> {
  const target = join(dir, 'bundle', 'rootfs');
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  // Option values may not contain the separators overlay parses; our paths are ours, but say so.
  if (/[,:\\]/.test(lower + upper + work)) throw new Error(`rootfs paths may not contain ',', ':' or '\\': ${lower}`);
  for (const d of [target, upper, work]) mkdirSync(d, { recursive: true });
  const r = await launcher.run(['/bin/sh', '-c', PREPARE, 'portcullis-rootfs', lower, upper, work, target, ...fifos]);
  if (r.code !== 0) throw new Error(`preparing the rootfs from ${lower}: ${r.output || `exit code ${r.code}`}`);
  return { path: target, kind: r.output.endsWith('overlay') ? 'overlay' : 'copy' };
}

/** Whether path is a mount point (per /proc/self/mountinfo). */
export async function isMounted(path: string): Promise<boolean> {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === path);
}

/** Unmounts path if it is a mount point; idempotent. */
export async function unmount(path: string): Promise<void> {
  if (await isMounted(path)) await run('umount', [path]);
}

/** How dir's rootfs was made, seen from the disk: an overlay is a mount (a device) of its own; undefined when there is none. */
export async function rootfsKind(dir: string): Promise<'overlay' | 'copy' | undefined> {
  const [target, bundle] = await Promise.all([stat(join(dir, 'bundle', 'rootfs')).catch(() => undefined), stat(join(dir, 'bundle')).catch(() => undefined)]);
  if (!target || !bundle) return undefined;
  return target.dev !== bundle.dev ? 'overlay' : 'copy';
}

/**
 * Unmounts the container's rootfs if mounted; idempotent. An overlay is a device of its own, so
 * two stats tell whether it is mounted, instead of a read of the whole mount table: that costs
 * ~5 µs of kernel time per line, and every running pod adds lines (~1.6 ms a read with 50 pods).
 */
export async function releaseRootfs(dir: string): Promise<void> {
  const target = join(dir, 'bundle', 'rootfs');
  let mounted: boolean;
  try {
    mounted = statSync(target).dev !== statSync(join(dir, 'bundle')).dev;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    // An overlay that cannot be looked at (its lower directory gone): the mount table decides.
    return unmount(target);
  }
  if (mounted) await run('umount', [target]);
}
