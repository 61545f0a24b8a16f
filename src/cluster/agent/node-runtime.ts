/**
 * The real container runtime of a node: runc (Debian's) behind the runtime interface and the
 * content-addressed image store, both under <data-dir>/runtime, pulls through the shared registry
 * client. What a host lacks for it is said plainly (root, runc, a static busybox for the pause
 * process) instead of starting an agent that cannot run a pod.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RegistryClient } from '../../image-policy/registry/client.ts';
import type { ImageFlagOptions } from './runtime/image-options.ts';
import { ImageStore } from './runtime/image-store.ts';
import { RuncRuntime } from './runtime/runc.ts';
import type { ContainerRuntime, ImageService } from './runtime/types.ts';

export interface NodeRuntime {
  runtime: ContainerRuntime;
  images: ImageService;
  scheme: string;
  version: string;
  close(): void;
}

export const PAUSE_BINARY = '/bin/busybox';

function findExecutable(name: string): string | undefined {
  for (const d of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    if (!d) continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What this host lacks to run pods with runc, in words (empty: nothing). */
export function missingForRunc(): string[] {
  const missing: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) missing.push('root (runc needs it to make namespaces and cgroups)');
  if (!findExecutable('runc')) missing.push('runc (Debian package runc)');
  try {
    accessSync(PAUSE_BINARY, constants.X_OK);
  } catch {
    missing.push(`${PAUSE_BINARY} for the pod sandbox (Debian package busybox-static)`);
  }
  return missing;
}

/** `images`: the image store's limits and KEP-2535 pull-credential policy (`portcullis agent` image flags: runtime/image-options.ts). */
export function openRuncNodeRuntime(o: { dataDir: string; memoryCapacity?: number; images?: ImageFlagOptions; /** --pod-max-pids (> 0; undefined for none) */ pidsLimit?: number }): NodeRuntime {
  const missing = missingForRunc();
  if (missing.length) throw new Error(`this host cannot run pods: missing ${missing.join('; ')}`);
  const runc = findExecutable('runc')!;
  const version = /runc version (\S+)/.exec(execFileSync(runc, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const registry = new RegistryClient();
  const root = join(o.dataDir, 'runtime');
  // Only root may walk into it, whatever the data directory's mode: the unpacked images and the
  // containers' root filesystems hold the images' setuid programs, which a host user who could reach
  // them would run as root (containerd's CVE-2021-41103: its state directories became 0700/0711).
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  const runtime = new RuncRuntime({ stateRoot: root, runcBinary: runc, pauseBinary: PAUSE_BINARY, memoryCapacity: o.memoryCapacity, pidsLimit: o.pidsLimit });
  return {
    runtime,
    images: new ImageStore({ root, registry, ...o.images }),
    scheme: 'runc',
    version: `runc://${version}`,
    // Containers keep running (their shims outlive us); only our log relays and connections end.
    close: () => {
      runtime.close();
      registry.close();
    },
  };
}

/** Stops and removes every container and sandbox the runtime holds (tests and benches clean up with it). */
export async function removeEverything(runtime: ContainerRuntime): Promise<void> {
  const { containers, sandboxes } = await runtime.list();
  for (const c of containers) await runtime.stopContainer(c.id, 0).catch(() => undefined);
  for (const s of sandboxes) await runtime.stopSandbox(s.id).catch(() => undefined);
  for (const c of containers) await runtime.removeContainer(c.id).catch(() => undefined);
  for (const s of sandboxes) await runtime.removeSandbox(s.id).catch(() => undefined);
}
