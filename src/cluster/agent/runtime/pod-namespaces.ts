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
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Launcher } from './launcher.ts';

export interface PodNamespaceFiles {
  net?: string;
  ipc?: string;
  uts?: string;
}

/** The files a sandbox in dir holds: none for what the pod shares with the host. */
export function podNamespaceFiles(dir: string, hostNetwork: boolean, hostIPC: boolean): PodNamespaceFiles {
  return {
    ...(hostNetwork ? {} : { net: join(dir, 'ns', 'net'), uts: join(dir, 'ns', 'uts') }),
    ...(hostIPC ? {} : { ipc: join(dir, 'ns', 'ipc') }),
  };
}

// $1 the shm mount point or ''; the rest the command to run (unshare ..., or true).
const OUTER = `
shm=$1; shift
if [ -n "$shm" ]; then mkdir -p "$shm" && mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm "$shm" || exit 1; fi
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
}

/** Creates the namespaces and their files, the shm tmpfs, and sets them up: one launcher command. */
export async function createPodNamespaces(launcher: Launcher, c: CreatePodNamespaces): Promise<void> {
  const files = Object.values(c.files);
  if (files.length > 0) await mkdir(join(files[0]!, '..'), { recursive: true });
  // unshare bind-mounts each namespace onto an existing file.
  await Promise.all(files.map((f) => writeFile(f, '')));
  const flags = [...(c.files.net ? [`--net=${c.files.net}`] : []), ...(c.files.ipc ? [`--ipc=${c.files.ipc}`] : []), ...(c.files.uts ? [`--uts=${c.files.uts}`] : [])];
  const sysctls = Object.entries(c.sysctls).flatMap(([name, value]) => [name.replaceAll('.', '/'), value]);
  const setUp = ['/bin/sh', '-c', INNER, 'portcullis-pod-ns', c.files.uts ? c.hostname : '', c.files.net ? '1' : '', ...sysctls];
  const command = flags.length > 0 ? ['unshare', ...flags, ...setUp] : ['true'];
  const r = await launcher.run(['/bin/sh', '-c', OUTER, 'portcullis-sandbox', c.shm ?? '', ...command]);
  if (r.code !== 0) throw new Error(`creating the pod's namespaces: ${r.output || `exit code ${r.code}`}`);
}

/**
 * Whether every namespace file is still a mount of its namespace (an nsfs file is on another
 * device than the directory holding it): one stat per file and one of the directory.
 */
export async function podNamespacesHeld(dir: string, files: PodNamespaceFiles): Promise<boolean> {
  const paths = Object.values(files);
  if (paths.length === 0) return true;
  try {
    const [own, ...held] = await Promise.all([dir, ...paths].map((p) => stat(p)));
    return held.every((s) => s.dev !== own!.dev);
  } catch {
    return false;
  }
}

/**
 * Unmounts whichever of paths are mounted (namespace files, the shm tmpfs), in one launcher
 * command; idempotent. A namespace ends with its last mount once no process is left in it.
 */
export async function unmountAll(launcher: Launcher, paths: readonly string[]): Promise<void> {
  const points = new Set((await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]));
  const mounted = paths.filter((p) => points.has(p));
  if (mounted.length === 0) return;
  const r = await launcher.run(['umount', ...mounted]);
  if (r.code !== 0) throw new Error(`umount ${mounted.join(' ')}: ${r.output || `exit code ${r.code}`}`);
}
