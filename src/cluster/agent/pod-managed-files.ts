/**
 * The files the kubelet (and containerd's CRI plugin, for the runtime's part) gives every container
 * of a pod besides its volumes, under <root>/<pod uid>/ (the kubelet's pod directory):
 *   etc-hosts                   /etc/hosts (makeHostsMount): the managed file with the pod's IPs
 *                               and hostAliases, or for a host-network pod the node's own plus the
 *                               aliases; read-write as upstream mounts it. Mounted once the pod's
 *                               IPs are known (shouldMountHostsFile); until then, as containerd
 *                               does, sandbox-hosts: a copy of the node's /etc/hosts.
 *   etc-hostname                /etc/hostname (containerd's sandbox hostname file): the sandbox's
 *                               hostname (the FQDN with setHostnameAsFQDN), the node's on the host
 *                               network; read-only with readOnlyRootFilesystem.
 *   resolv.conf                 /etc/resolv.conf for the pod's dnsPolicy (containerd's sandbox
 *                               resolv.conf), written by the pod network when it makes the sandbox
 *                               (writeSandboxFile); mounted by the runtime, read-only with
 *                               readOnlyRootFilesystem.
 *   containers/<name>/<attempt> the container instance's terminationMessagePath (makeMounts), an
 *                               empty file of mode 0666 mounted read-write, read after it exits
 *                               (termination-message.ts).
 * None of it is mounted where the container mounts a volume itself. Every file is opened without
 * following symlinks and every directory below the root is checked to be one: nothing in a pod
 * can make the agent write elsewhere.
 */
import { closeSync, constants, fchmodSync, fstatSync, ftruncate as ftruncateCb, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { lstat, rm, rmdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { DEFAULT_CLUSTER_DOMAIN, managedHostsFileContent, nodeHostsFileContent, nodenameForKernel, podHostnameAndDomain } from './etc-hosts.ts';
import { bytesPerStatus, terminationMessage, truncateBytes } from './termination-message.ts';
import type { ContainerStatus, MountSpec } from './runtime/types.ts';

export interface PodManagedFilesOptions {
  /** The pods' directories (the agent's <dataDir>/pods, shared with the volume manager). */
  root: string;
  clusterDomain?: string;
  /** The node's hosts file (default /etc/hosts). */
  nodeHostsPath?: string;
  /** The node's hostname, for host-network pods (default os.hostname()). */
  nodeHostname?: () => string;
  log: { warn(o: object, m: string): void };
}

const UID = /^[A-Za-z0-9-]{1,64}$/;
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/**
 * What a pod's directory holds that its containers can write: /etc/hosts (the managed one, the
 * node's copy while the pod has no IPs), /etc/hostname and /etc/resolv.conf (without
 * readOnlyRootFilesystem) and the termination message files (containers/<name>/<attempt>).
 */
export const WRITABLE_FILES = ['etc-hosts', 'sandbox-hosts', 'etc-hostname', 'resolv.conf', 'containers'] as const;

/** What a pod's containers say about their termination messages, by container name. */
interface MessageSpecs {
  byName: Map<string, Pick<Container, 'terminationMessagePath' | 'terminationMessagePolicy'>>;
  /** bytesPerStatus of the pod. */
  budget: number;
}

export class PodManagedFiles {
  readonly #o: PodManagedFilesOptions;
  /** Per pod uid: its containers' message settings (noted at each sync; dropped by forget). */
  readonly #specs = new Map<string, MessageSpecs>();
  /** Per pod uid: exited container id → its message as read from its file (it does not change once exited). */
  readonly #messages = new Map<string, Map<string, string>>();

  constructor(o: PodManagedFilesOptions) {
    this.#o = o;
  }

  /** The hostname the sandbox gets (CRI PodSandboxConfig.hostname): none on the host network; throws when the FQDN is too long. */
  sandboxHostname(pod: Pod): string | undefined {
    if (pod.spec?.hostNetwork) return undefined;
    const { hostname, domain } = podHostnameAndDomain(pod, this.#o.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
    return nodenameForKernel(hostname, domain, pod.spec?.setHostnameAsFQDN);
  }

  /** The pod's spec as the messages are read for it: at every sync. */
  note(pod: Pod): void {
    const byName: MessageSpecs['byName'] = new Map();
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])]) byName.set(c.name, { terminationMessagePath: c.terminationMessagePath, terminationMessagePolicy: c.terminationMessagePolicy });
    this.#specs.set(pod.metadata?.uid ?? '', { byName, budget: bytesPerStatus(pod) });
  }

  /**
   * The mounts the agent adds for one container instance, after its volumes: /etc/hosts,
   * /etc/hostname, the termination message file. `podIPs`: the pod's IPs as the agent reports them
   * (the node's for a host-network pod).
   */
  async mountsFor(pod: Pod, c: Container, attempt: number, podIPs: readonly string[] | undefined): Promise<MountSpec[]> {
    const dir = await this.#podDir(pod.metadata?.uid ?? '');
    const own = new Set((c.volumeMounts ?? []).map((m) => m.mountPath));
    const readOnlyRoot = c.securityContext?.readOnlyRootFilesystem === true;
    const out: MountSpec[] = [];
    if (!own.has('/etc/hosts')) {
      if (podIPs?.length) {
        const content = pod.spec?.hostNetwork ? nodeHostsFileContent(await this.#nodeHosts(), pod.spec.hostAliases) : managedHostsFileContent(podIPs, ...hostAndDomain(pod, this.#o.clusterDomain), pod.spec?.hostAliases);
        out.push({ containerPath: '/etc/hosts', hostPath: await writeNoFollow(join(dir, 'etc-hosts'), content, 0o644), readOnly: false, propagation: 'None' });
      } else {
        out.push({ containerPath: '/etc/hosts', hostPath: await writeNoFollow(join(dir, 'sandbox-hosts'), await this.#nodeHosts(), 0o644), readOnly: readOnlyRoot, propagation: 'None' });
      }
    }
    if (!own.has('/etc/hostname')) {
      const name = this.sandboxHostname(pod) ?? (this.#o.nodeHostname ?? osHostname)();
      out.push({ containerPath: '/etc/hostname', hostPath: await writeNoFollow(join(dir, 'etc-hostname'), `${name}\n`, 0o644), readOnly: readOnlyRoot, propagation: 'None' });
    }
    if (c.terminationMessagePath) {
      // As upstream: a file that cannot be made costs the message, not the container.
      try {
        const file = join(await this.#containerDir(dir, c.name), String(attempt));
        out.push({ containerPath: c.terminationMessagePath, hostPath: await writeNoFollow(file, '', 0o666), readOnly: false, propagation: 'None' });
      } catch (err) {
        this.#o.log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, container: c.name, err: (err as Error).message }, 'error on creating termination-log file');
      }
    }
    return out;
  }

  /**
   * The pod's containers with the termination messages of those exited (the pod noted), each cut
   * to the pod's budget. A message read from the file is kept; one from the log is read again next time (the
   * log relay may still be writing its last lines).
   */
  async withMessages(uid: string, containers: readonly ContainerStatus[]): Promise<ContainerStatus[]> {
    const specs = this.#specs.get(uid);
    if (!specs || !UID.test(uid)) return [...containers];
    const known = this.#messages.get(uid) ?? new Map<string, string>();
    const out = await Promise.all(containers.map(async (c): Promise<ContainerStatus> => {
      if (c.state !== 'exited') return c;
      let message = known.get(c.id);
      if (message === undefined) {
        const spec = specs.byName.get(c.name);
        const read = await terminationMessage(c, spec, spec?.terminationMessagePath ? await this.#messageFile(uid, c.name, c.attempt) : undefined);
        message = read.message;
        if (!read.fromLogs) known.set(c.id, message);
      }
      message = truncateBytes(message, specs.budget);
      return message ? { ...c, message } : c;
    }));
    // Only the instances still there are kept.
    const ids = new Set(containers.map((c) => c.id));
    for (const id of known.keys()) if (!ids.has(id)) known.delete(id);
    if (known.size) this.#messages.set(uid, known);
    else this.#messages.delete(uid);
    return out;
  }

  /** The pod's files on the node that its containers may write (WRITABLE_FILES), for its ephemeral-storage use. */
  writableFiles(uid: string): string[] {
    return UID.test(uid) ? WRITABLE_FILES.map((f) => join(this.#o.root, uid, f)) : [];
  }

  /** The pod is gone: its files and what is kept for it. */
  async forget(uid: string): Promise<void> {
    this.#specs.delete(uid);
    this.#messages.delete(uid);
    if (!UID.test(uid)) return;
    const dir = join(this.#o.root, uid);
    await Promise.all(WRITABLE_FILES.map((f) => rm(join(dir, f), { recursive: true, force: true })));
    // The pod's directory too once nothing else is in it (the volume manager removes it with the volumes).
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  }

  /** Where the instance's termination file is, when every directory on the way is a real one (no symlink to elsewhere). */
  async #messageFile(uid: string, name: string, attempt: number): Promise<string | undefined> {
    if (!NAME.test(name)) return undefined;
    const dir = join(this.#o.root, uid, 'containers', name);
    for (const d of [join(this.#o.root, uid), dirname(dir), dir]) {
      if (!(await lstat(d).catch(() => undefined))?.isDirectory()) return undefined;
    }
    return join(dir, String(attempt));
  }

  async #nodeHosts(): Promise<string> {
    return readFileSync(this.#o.nodeHostsPath ?? '/etc/hosts', 'utf8');
  }

  async #podDir(uid: string): Promise<string> {
    return podDir(this.#o.root, uid);
  }

  async #containerDir(podDir: string, name: string): Promise<string> {
    if (!NAME.test(name)) throw new Error(`container name ${JSON.stringify(name)} cannot name a directory`);
    return ownDir(join(await ownDir(join(podDir, 'containers')), name));
  }
}

/** The pod's directory under `root`, made if missing, and a real one. */
async function podDir(root: string, uid: string): Promise<string> {
  if (!UID.test(uid)) throw new Error(`pod uid ${JSON.stringify(uid)} cannot name a directory`);
  try {
    return await ownDir(join(root, uid));
  } catch (err) {
    // The pods' directory itself is made only when it is missing (once), not asked for per container.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(root, { recursive: true, mode: 0o750 });
    return ownDir(join(root, uid));
  }
}

/**
 * A file of the sandbox that its containers get (resolv.conf), written into the pod's directory
 * under `root` (the agent's <dataDir>/pods) as the other files here: the pod's own copy, counted
 * in its ephemeral storage and removed with the pod (WRITABLE_FILES), since a container without
 * readOnlyRootFilesystem can write it. Returns its path.
 */
export async function writeSandboxFile(root: string, uid: string, name: (typeof WRITABLE_FILES)[number], content: string): Promise<string> {
  return writeNoFollow(join(await podDir(root, uid), name), content, 0o644);
}

/** [hostname, domain] of podHostnameAndDomain. */
function hostAndDomain(pod: Pod, clusterDomain = DEFAULT_CLUSTER_DOMAIN): [string, string] {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  return [hostname, domain];
}

/*
 * The calls below are synchronous: a few small files of the agent's own data directory per
 * container, where each asynchronous call costs the agent more (a thread pool hand-off and the
 * wake-ups back) than the system call itself. O_NONBLOCK keeps a FIFO put in a file's place from
 * blocking the open. A file a container has filled (/etc/hosts and /etc/hostname are mounted
 * read-write and kept across restarts) is truncated off the event loop: freeing gigabytes of
 * blocks takes the kernel seconds (4 GiB on ext4: 1.3 s), which would stall the whole agent.
 */

/** Above this size a file is truncated asynchronously (the agent's own files are a few KiB). */
export const SYNC_TRUNCATE_MAX_BYTES = 1024 * 1024;

const ftruncateAsync = promisify(ftruncateCb);

/** A directory made if missing, and a real one (not a symlink to elsewhere). */
export async function ownDir(path: string): Promise<string> {
  try {
    mkdirSync(path, { mode: 0o750 });
    // Made just now by mkdir(2): a directory.
    return path;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (!lstatSync(path).isDirectory()) throw new Error(`${path} is not a directory`);
  return path;
}

/**
 * Writes a file in place (containers that have it mounted see the new content), never through a
 * symlink and only into a regular file; the mode is set whatever the umask.
 */
export async function writeNoFollow(path: string, content: string, mode: number): Promise<string> {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    // A file made just now is empty, and has the mode unless the umask took bits away.
    if (st.size > SYNC_TRUNCATE_MAX_BYTES) await ftruncateAsync(fd, 0);
    else if (st.size > 0) ftruncateSync(fd, 0);
    if (content) writeSync(fd, content, 0, 'utf8');
    if ((st.mode & 0o7777) !== mode) fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
  return path;
}
