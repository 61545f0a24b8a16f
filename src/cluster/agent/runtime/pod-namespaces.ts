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
 * ns/ is a shared mount (a bind of itself, made shared), as `ip netns add` makes /run/netns: a
 * mount namespace copied from the host's while the pod lives (a container's before its
 * pivot_root, `ip netns exec`, a service with a private /tmp) holds copies of the namespace
 * files, which would keep the namespaces alive after the agent unmounts its own; with ns/ shared
 * the unmount propagates to those copies (to slaves and peers; a namespace made private keeps its copy).
 *
 * Every command is bounded (NAMESPACE_COMMAND_TIMEOUT_MS): a mount, unshare or `ip` stuck in the
 * kernel fails the sandbox with an error instead of holding the pod's worker forever.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Launcher } from './launcher.ts';

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

/** The files a sandbox in dir holds: none for what the pod shares with the host. */
export function podNamespaceFiles(dir: string, hostNetwork: boolean, hostIPC: boolean): PodNamespaceFiles {
  return {
    ...(hostNetwork ? {} : { net: join(dir, 'ns', 'net'), uts: join(dir, 'ns', 'uts') }),
    ...(hostIPC ? {} : { ipc: join(dir, 'ns', 'ipc') }),
  };
}

/** Whatever a sandbox in dir may have mounted, each before the directory holding it (the unmount order). */
export function sandboxMounts(dir: string): string[] {
  return [...Object.values(podNamespaceFiles(dir, false, false)), join(dir, 'ns'), join(dir, 'shm')];
}

// $1 the ns directory to make a shared mount or ''; $2 the shm mount point or ''; the rest the
// command to run (unshare ..., or true).
const OUTER = `
ns=$1; shm=$2; shift 2
if [ -n "$ns" ]; then mount --bind --make-shared "$ns" "$ns" || exit 1; fi
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

/** Creates the namespaces and their files (in a shared ns/), the shm tmpfs, and sets them up: one launcher command. */
export async function createPodNamespaces(launcher: Launcher, c: CreatePodNamespaces): Promise<void> {
  const files = Object.values(c.files);
  const ns = files.length > 0 ? join(files[0]!, '..') : '';
  // Made here rather than by a mkdir process (as the state files, synchronously: state-files.ts).
  if (ns) mkdirSync(ns, { recursive: true });
  if (c.shm) mkdirSync(c.shm, { recursive: true });
  // unshare bind-mounts each namespace onto an existing file.
  for (const f of files) writeFileSync(f, '');
  const flags = [...(c.files.net ? [`--net=${c.files.net}`] : []), ...(c.files.ipc ? [`--ipc=${c.files.ipc}`] : []), ...(c.files.uts ? [`--uts=${c.files.uts}`] : [])];
  const sysctls = Object.entries(c.sysctls).flatMap(([name, value]) => [name.replaceAll('.', '/'), value]);
  const setUp = ['/bin/sh', '-c', INNER, 'portcullis-pod-ns', c.files.uts ? c.hostname : '', c.files.net ? '1' : '', ...sysctls];
  const command = flags.length > 0 ? ['unshare', ...flags, ...setUp] : ['true'];
  await runBounded(launcher, ['/bin/sh', '-c', OUTER, 'portcullis-sandbox', ns, c.shm ?? '', ...command], "creating the pod's namespaces", c.timeoutMs);
}

/**
 * Whether every namespace file is still a mount of its namespace (an nsfs file is on another
 * device than the directory holding it): one stat per file and one of the directory.
 */
export async function podNamespacesHeld(dir: string, files: PodNamespaceFiles): Promise<boolean> {
  const paths = Object.values(files);
  if (paths.length === 0) return true;
  try {
    // Synchronous: asked for each sandbox at every relist (state-files.ts says why).
    const [own, ...held] = [dir, ...paths].map((p) => statSync(p));
    return held.every((s) => s.dev !== own!.dev);
  } catch {
    return false;
  }
}

/**
 * Unmounts whichever of paths are mounted (namespace files, ns/, the shm tmpfs), in the order
 * given (a mount before the one holding it), in one bounded launcher command; idempotent. A
 * namespace ends with its last mount once no process is left in it.
 */
export async function unmountAll(launcher: Launcher, paths: readonly string[], timeoutMs?: number): Promise<void> {
  const points = new Set(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]));
  const mounted = paths.filter((p) => points.has(p));
  if (mounted.length === 0) return;
  await runBounded(launcher, ['umount', ...mounted], `umount ${mounted.join(' ')}`, timeoutMs);
}
