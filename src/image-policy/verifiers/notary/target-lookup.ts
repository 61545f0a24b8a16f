/**
 * Finding a target in verified metadata the way notary's GetTargetByName does (client/reader.go
 * with tuf.Repo.WalkTargets): for each role in priority order (docker content trust asks for
 * "targets/releases", then "targets"), a breadth-first walk from "targets" that descends towards
 * that role, visits the role and its subtree, and skips the other priority roles; the first
 * visited role that lists the target wins. A delegation is visited only if the target name
 * starts with one of its paths, and a child's paths are cut to those within its parent's
 * (RestrictDelegationPathPrefixes); "targets" itself has the path "".
 */
import type { FileMeta } from './metadata.ts';
import type { VerifiedRepo } from './repo-update.ts';

export const DEFAULT_ROLE_PRIORITY: readonly string[] = ['targets/releases', 'targets'];

export interface Found {
  name: string;
  role: string;
  /** null: the target is listed without a usable hash. */
  meta: FileMeta | null;
}

interface WalkRole {
  name: string;
  paths: readonly string[];
}

/** `name` undefined: the first target (in walk order) whose sha256 is `digestHex`, for by-digest references. */
export function findTarget(repo: VerifiedRepo, name: string | undefined, digestHex: string, priority: readonly string[] = DEFAULT_ROLE_PRIORITY): Found | undefined {
  for (const rolePath of priority) {
    const skip = priority.filter((r) => r !== rolePath);
    const queue: WalkRole[] = [{ name: 'targets', paths: [''] }];
    while (queue.length > 0) {
      const role = queue.shift()!;
      const verified = repo.roles.get(role.name);
      if (!verified) continue;
      if (rolePath.startsWith(`${role.name}/`)) {
        queue.push(...children(repo, role));
        continue;
      }
      if ((name === undefined || pathAllowed(name, role.paths)) && isAncestorRole(role.name, rolePath) && !skip.includes(role.name)) {
        const hit = name !== undefined ? lookupByName(verified.targets.targets, name) : lookupByDigest(verified.targets.targets, digestHex, role.paths);
        if (hit) return { ...hit, role: role.name };
        queue.push(...children(repo, role));
      }
    }
  }
  return undefined;
}

function lookupByName(targets: ReadonlyMap<string, FileMeta | null>, name: string): Omit<Found, 'role'> | undefined {
  return targets.has(name) ? { name, meta: targets.get(name)! } : undefined;
}

function lookupByDigest(targets: ReadonlyMap<string, FileMeta | null>, digestHex: string, paths: readonly string[]): Omit<Found, 'role'> | undefined {
  for (const [name, meta] of targets) {
    if (meta?.sha256?.toString('hex') === digestHex && pathAllowed(name, paths)) return { name, meta };
  }
  return undefined;
}

function pathAllowed(name: string, paths: readonly string[]): boolean {
  return paths.some((p) => name.startsWith(p));
}

function isAncestorRole(child: string, ancestor: string): boolean {
  return ancestor === '' || ancestor === child || child.startsWith(`${ancestor}/`);
}

/** The verified delegations of `parent`, with paths restricted to the parent's. */
function children(repo: VerifiedRepo, parent: WalkRole): WalkRole[] {
  const t = repo.roles.get(parent.name)?.targets;
  if (!t) return [];
  return t.delegations.map((d) => ({ name: d.name, paths: d.paths.filter((p) => parent.paths.some((pp) => p.startsWith(pp))) }));
}
