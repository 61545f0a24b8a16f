/**
 * A pod sandbox without a pause process: the pod's network, IPC and UTS namespaces are created by
 * one `unshare` and kept alive by bind mounts of their nsfs files under the sandbox's directory
 * (ns/net, ns/ipc, ns/uts), as `ip netns add` keeps a named network namespace. The containers join
 * them by path. A `runc run` of a pause container costs as much CPU as the pod's own container
 * (runc, runc init, cgroups, pivot_root) plus a shim and a runc parent resident for the pod's life;
 * this is one short-lived shell, unshare and ip. Only a PID namespace needs a live process (its
 * init): a pod with shareProcessNamespace keeps the pause container (runc.ts).
 *
 * What runc did for the pause container is done here inside the new namespaces: the hostname
 * (written to /proc/sys/kernel/hostname, which is per UTS namespace), loopback up (runc brings lo
 * up in a network namespace it creates) and the pod's sysctls (/proc/sys/net and the IPC sysctls
 * resolve to the writer's namespaces). The pod's /dev/shm tmpfs is mounted by the same command.
 *
 * The files live below one shared mount for the whole node (POD_NAMESPACE_ROOT/<sandbox id>/, a
 * bind of itself made shared once per agent start), as `ip netns` keeps every named network
 * namespace below its one shared bind of /run/netns: a mount namespace copied from the host's
 * while the pod lives (a container's before its pivot_root, `ip netns exec`, a service with a
 * private /tmp) holds copies of the namespace files, which would keep the namespaces alive after
 * the agent unmounts its own; below a shared mount the unmount propagates to those copies (to
 * slaves and peers; a namespace made private keeps its copy). One mount for the node rather than
 * one per pod: every pod's mounts are lines of the mount table that runc reads four times per
 * container start. (Sandboxes made before this kept their files in their own ns/, a shared bind of
 * itself: still found, stopped and removed.)
 *
 * Every command is bounded (NAMESPACE_COMMAND_TIMEOUT_MS): a mount, unshare or `ip` stuck in the
 * kernel fails the sandbox with an error instead of holding the pod's worker forever.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Launcher } from './launcher.ts';
import { sysctlPath } from './sysctl-allowlist.ts';

export interface PodNamespaceFiles {
  net?: string;
  ipc?: string;
  uts?: string;
}

/**
 * How long one namespace command may take (the set-up, an unmount): they take milliseconds; the
 * kubelet's own bound on a runtime call is 2 minutes (--runtime-request-timeout).
 */
export const NAMESPACE_COMMAND_TIMEOUT_MS = 30_000;
/** How long after coreutils' timeout killed the command the launcher call itself gives up (a process in uninterruptible sleep outlives SIGKILL). */
const KILL_GRACE_MS = 5_000;

/**
 * The shared mount holding every sandbox's namespace files on the node, as /run/netns holds `ip
 * netns`'s: under /run, so a reboot takes the files with the mounts (the sandboxes are then notready).
 */
export const POD_NAMESPACE_ROOT = '/run/portcullis/pod-ns';

/** The files a sandbox's namespace directory nsDir holds: none for what the pod shares with the host. */
export function podNamespaceFiles(nsDir: string, hostNetwork: boolean, hostIPC: boolean): PodNamespaceFiles {
  return {
    ...(hostNetwork ? {} : { net: join(nsDir, 'net'), uts: join(nsDir, 'uts') }),
    ...(hostIPC ? {} : { ipc: join(nsDir, 'ipc') }),
  };
}

/**
 * Whatever a sandbox in dir with its namespace files in nsDir may have mounted, each before the
 * directory holding it (the unmount order): the files, then its /dev/shm tmpfs.
 */
export function sandboxMounts(dir: string, nsDir: string): string[] {
  return [...Object.values(podNamespaceFiles(nsDir, false, false)), join(dir, 'shm')];
}

/** The same for a sandbox made before the shared root: its files were in its own ns/, a bind of itself. */
export function legacySandboxMounts(dir: string): string[] {
  const ns = join(dir, 'ns');
  return [...Object.values(podNamespaceFiles(ns, false, false)), ns, join(dir, 'shm')];
}

/** The optional fields of the topmost mount on path in /proc/self/mountinfo, or undefined when nothing is mounted there. */
function mountTags(path: string): string[] | undefined {
  let tags: string[] | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    // Later lines are mounted later: the last one on a path is the one on top.
    if (f.length > 6 && unescapeMountPath(f[4]!) === path) tags = f.slice(6, f.indexOf('-'));
  }
  return tags;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

// $1 the directory. Serialized by flock on it (two agents or test processes starting at once would
// otherwise both bind it); made private before shared so it is a peer group of its own and not a
// peer of the mount it was bound from (a shared / on systemd hosts would receive every pod's files).
const SHARE_ROOT = `
d=$1
if ! mountpoint -q "$d"; then mount --bind "$d" "$d" && mount --make-private "$d" || exit 1; fi
mount --make-shared "$d"
`;

/**
 * Makes root a shared mount of itself unless it already is one (a restarted agent finds the one
 * it made); checked in the mount table afterwards, since the sandboxes' unmounts rely on it.
 */
export async function ensureSharedRoot(launcher: Launcher, root: string, timeoutMs?: number): Promise<void> {
  mkdirSync(root, { recursive: true });
  if (mountTags(root)?.some((t) => t.startsWith('shared:'))) return;
  await runBounded(launcher, ['flock', root, '/bin/sh', '-c', SHARE_ROOT, 'portcullis-pod-ns-root', root], `making ${root} a shared mount`, timeoutMs);
  if (!mountTags(root)?.some((t) => t.startsWith('shared:'))) throw new Error(`${root} is not a shared mount after making it one`);
}

// $1 the shm mount point or ''; the rest the command to run (unshare ..., or true).
const OUTER = `
shm=$1; shift
if [ -n "$shm" ]; then mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm "$shm" || exit 1; fi
exec "$@"
`;

// Inside the new namespaces: $1 hostname or '', $2 '1' to bring lo up, then sysctl name/value pairs.
const INNER = `
host=$1; lo=$2; shift 2
if [ -n "$host" ]; then printf '%s' "$host" > /proc/sys/kernel/hostname || exit 1; fi
if [ -n "$lo" ]; then ip link set lo up || exit 1; fi
while [ $# -gt 1 ]; do
  printf '%s\\n' "$2" > "/proc/sys/$1" || exit 1
  shift 2
done
`;

export interface CreatePodNamespaces {
  files: PodNamespaceFiles;
  /** The pod's hostname, set in its UTS namespace (ignored without one). */
  hostname: string;
  /** Where to mount the pod's /dev/shm tmpfs, or undefined (hostIPC: the host's). */
  shm?: string;
  /** Allowed sysctls (checkSysctls), dotted names. */
  sysctls: Readonly<Record<string, string>>;
  /** Default NAMESPACE_COMMAND_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Runs argv under coreutils' timeout (SIGKILL to its process group) and a launcher deadline a little later; throws `<what>: <why>`. */
async function runBounded(launcher: Launcher, argv: readonly string[], what: string, timeoutMs = NAMESPACE_COMMAND_TIMEOUT_MS): Promise<void> {
  const r = await launcher.run(['timeout', '-s', 'KILL', `${timeoutMs / 1000}s`, ...argv], timeoutMs + KILL_GRACE_MS).catch((err: Error) => {
    throw new Error(`${what}: ${/did not finish/.test(err.message) ? `${argv[0]} did not finish within ${timeoutMs / 1000} s and outlived SIGKILL (stuck in the kernel)` : err.message}`);
  });
  // 137: killed (128 + SIGKILL), by timeout when it ran out.
  if (r.code === 137) throw new Error(`${what}: ${argv[0]} did not finish within ${timeoutMs / 1000} s and was killed`);
  if (r.code !== 0) throw new Error(`${what}: ${r.output || `exit code ${r.code}`}`);
}

/** Creates the namespaces and their files (below the shared root: ensureSharedRoot first), the shm tmpfs, and sets them up: one launcher command. */
export async function createPodNamespaces(launcher: Launcher, c: CreatePodNamespaces): Promise<void> {
  const files = Object.values(c.files);
  // Made here rather than by a mkdir process (as the state files, synchronously: state-files.ts).
  if (files.length > 0) mkdirSync(dirname(files[0]!), { recursive: true });
  if (c.shm) mkdirSync(c.shm, { recursive: true });
  // unshare bind-mounts each namespace onto an existing file.
  for (const f of files) writeFileSync(f, '');
  const flags = [...(c.files.net ? [`--net=${c.files.net}`] : []), ...(c.files.ipc ? [`--ipc=${c.files.ipc}`] : []), ...(c.files.uts ? [`--uts=${c.files.uts}`] : [])];
  const sysctls = Object.entries(c.sysctls).flatMap(([name, value]) => [sysctlPath(name), value]);
  const setUp = ['/bin/sh', '-c', INNER, 'portcullis-pod-ns', c.files.uts ? c.hostname : '', c.files.net ? '1' : '', ...sysctls];
  const command = flags.length > 0 ? ['unshare', ...flags, ...setUp] : ['true'];
  await runBounded(launcher, ['/bin/sh', '-c', OUTER, 'portcullis-sandbox', c.shm ?? '', ...command], "creating the pod's namespaces", c.timeoutMs);
}

/**
 * Whether every namespace file is still a mount of its namespace (an nsfs file is on another
 * device than the directory holding it): one stat per file and one of their directory.
 */
export function podNamespacesHeld(files: PodNamespaceFiles): boolean {
  const paths = Object.values(files);
  if (paths.length === 0) return true;
  try {
    // Synchronous: asked for each sandbox at every relist (state-files.ts says why).
    const own = statSync(dirname(paths[0]!)).dev;
    return paths.every((p) => statSync(p).dev !== own);
  } catch {
    return false;
  }
}

/**
 * Whether path is a mount (another device than its directory's: nsfs files, tmpfs): two stats
 * instead of a read of the whole mount table, whose every line costs (~5 us), and every pod adds
 * lines. Not there: not mounted; cannot be looked at: taken as mounted (the umount says why).
 */
function mountedByDevice(path: string): boolean {
  try {
    return statSync(path).dev !== statSync(dirname(path)).dev;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Unmounts whichever of paths are mounts on their own device (namespace files, the shm tmpfs), in
 * the order given (a mount before the one holding it), in one bounded launcher command;
 * idempotent. A namespace ends with its last mount once no process is left in it.
 */
export async function unmountAll(launcher: Launcher, paths: readonly string[], timeoutMs?: number): Promise<void> {
  await unmountEach(launcher, paths.filter(mountedByDevice), timeoutMs);
}

/**
 * unmountAll for paths that may be binds of a directory onto itself (a legacy sandbox's ns/),
 * which no stat tells from the directory: the mount table decides.
 */
export async function unmountByTable(launcher: Launcher, paths: readonly string[], timeoutMs?: number): Promise<void> {
  const points = new Set(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => unescapeMountPath(l.split(' ')[4] ?? '')));
  await unmountEach(launcher, paths.filter((p) => points.has(p)), timeoutMs);
}

async function unmountEach(launcher: Launcher, mounted: readonly string[], timeoutMs?: number): Promise<void> {
  if (mounted.length === 0) return;
  await runBounded(launcher, ['umount', ...mounted], `umount ${mounted.join(' ')}`, timeoutMs);
}
