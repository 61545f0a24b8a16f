/**
 * Finds the network namespaces holding given pod addresses on this machine: every namespace a
 * process lives in (/proc/PID/ns/net) or that is named (/run/netns/NAME), each looked at once
 * (by its inode), asked for its IPv4 addresses. A pod's address sits on its eth0 only, never on
 * the node (routed pod network), so the namespace that has it is the pod's.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** At most this many namespaces are asked (bounds the work on a machine with many). */
const MAX_NAMESPACES = 4096;

export type AddressLister = (nsPath: string) => Promise<string[]>;

/** `nsenter --net=PATH ip -4 -o addr show`: the namespace's IPv4 addresses. */
export const listAddresses: AddressLister = async (nsPath) => {
  const { stdout } = await run('nsenter', [`--net=${nsPath}`, 'ip', '-4', '-o', 'addr', 'show'], { timeout: 10_000 });
  return [...stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
};

/** Every distinct network namespace path, the named ones first (their paths are stable). */
export function networkNamespaces(roots = { named: '/run/netns', proc: '/proc' }): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (path: string) => {
    try {
      const st = statSync(path);
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) return;
      seen.add(id);
      out.push(path);
    } catch {
      // gone meanwhile, or not ours to see
    }
  };
  const list = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const n of list(roots.named)) add(join(roots.named, n));
  for (const pid of list(roots.proc)) if (/^\d+$/.test(pid)) add(join(roots.proc, pid, 'ns', 'net'));
  return out.slice(0, MAX_NAMESPACES);
}

/** Which namespace holds each of these addresses (addresses found nowhere are absent from the map). */
export async function findPodNamespaces(ips: readonly string[], o: { namespaces?: string[]; lister?: AddressLister } = {}): Promise<Map<string, string>> {
  const wanted = new Set(ips);
  const found = new Map<string, string>();
  const lister = o.lister ?? listAddresses;
  for (const ns of o.namespaces ?? networkNamespaces()) {
    if (found.size === wanted.size) break;
    let addrs: string[];
    try {
      addrs = await lister(ns);
    } catch {
      continue;
    }
    for (const a of addrs) if (wanted.has(a) && !found.has(a)) found.set(a, ns);
  }
  return found;
}
