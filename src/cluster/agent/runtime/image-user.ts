/**
 * Which user a container runs as, as the kubelet and containerd's CRI plugin decide it:
 * - the effective security context: the container's runAsUser/runAsGroup/runAsNonRoot override the
 *   pod's (securitycontext.DetermineEffectiveSecurityContext);
 * - without runAsUser the kubelet passes the image's user, but only its user part: "1000:2000" runs
 *   with the gid from the image's /etc/passwd (or 0), as upstream does (getUserFromImage);
 * - runAsNonRoot is checked against that user with the kubelet's messages (verifyRunAsNonRoot);
 * - the user string is resolved against the image's /etc/passwd and /etc/group (containerd WithUser,
 *   WithAdditionalGIDs): additional gids are the primary gid, the groups listing the user as member,
 *   then supplementalGroups and fsGroup.
 * Pure: the caller reads /etc/passwd and /etc/group from the rootfs.
 */
import type { Container, PodSpec, PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { PodRef } from './types.ts';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export class RunAsNonRootError extends Error {}

export function effectiveSecurityContext(pod: PodSpec, c: Container): SecurityContext {
  const p: PodSecurityContext = pod.securityContext ?? {};
  const s: SecurityContext = { ...(c.securityContext ?? {}) };
  s.runAsUser ??= p.runAsUser;
  s.runAsGroup ??= p.runAsGroup;
  s.runAsNonRoot ??= p.runAsNonRoot;
  s.seccompProfile ??= p.seccompProfile;
  s.seLinuxOptions ??= p.seLinuxOptions;
  s.appArmorProfile ??= p.appArmorProfile;
  return s;
}

/** The image's user as the kubelet sees it: a numeric uid, a name, or root when unset. */
export function imageUser(user: string | undefined): { uid?: number; username?: string } {
  if (!user) return { uid: 0 };
  const u = user.split(':')[0] ?? '';
  return /^[0-9]+$/.test(u) ? { uid: Number(u) } : { username: u };
}

/** format.Pod: name_namespace(uid). */
function podName(pod: PodRef): string {
  return JSON.stringify(`${pod.name}_${pod.namespace}(${pod.uid})`);
}

export function verifyRunAsNonRoot(pod: PodRef, podSpec: PodSpec, c: Container, user: { uid?: number; username?: string }): void {
  const sc = effectiveSecurityContext(podSpec, c);
  if (!sc.runAsNonRoot) return;
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new RunAsNonRootError(`container's runAsUser breaks non-root policy (pod: ${podName(pod)}, container: ${c.name})`);
    return;
  }
  if (user.uid === undefined && user.username) {
    throw new RunAsNonRootError(`container has runAsNonRoot and image has non-numeric user (${user.username}), cannot verify user is non-root (pod: ${podName(pod)}, container: ${c.name})`);
  }
  if (user.uid === 0) throw new RunAsNonRootError(`container has runAsNonRoot and image will run as root (pod: ${podName(pod)}, container: ${c.name})`);
  if (user.uid !== undefined && user.uid > 2147483647) {
    throw new RunAsNonRootError(`container has runAsNonRoot and image has an invalid user id (${user.uid}). (Must be 1-(2147483647)): must be between 0 and 2147483647, inclusive (pod: ${podName(pod)}, container: ${c.name})`);
  }
}

interface PasswdEntry { name: string; uid: number; gid: number }
interface GroupEntry { name: string; gid: number; members: string[] }

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0] ?? '', uid, gid });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.push({ name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

const NUMERIC = /^[0-9]+$/;

/**
 * Resolves the container's user. passwd/group: the image's /etc/passwd and /etc/group (undefined
 * when absent). Throws on a name the image does not define, as containerd does.
 */
export function resolveUser(podSpec: PodSpec, c: Container, imageUserString: string | undefined, passwd: string | undefined, group: string | undefined): ResolvedUser {
  const sc = effectiveSecurityContext(podSpec, c);
  const img = imageUser(imageUserString);
  const userPart = sc.runAsUser !== undefined ? String(sc.runAsUser) : img.username ?? String(img.uid ?? 0);
  const users = parsePasswd(passwd ?? '');
  const groups = parseGroup(group ?? '');

  let uid: number;
  let gid: number;
  let entry: PasswdEntry | undefined;
  if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    entry = users.find((u) => u.uid === uid);
    gid = entry?.gid ?? 0;
  } else {
    entry = users.find((u) => u.name === userPart);
    if (!entry) throw new Error(`unable to resolve user ${JSON.stringify(userPart)}: no users found`);
    uid = entry.uid;
    gid = entry.gid;
  }
  if (sc.runAsGroup !== undefined) gid = sc.runAsGroup;

  const extra: number[] = [gid];
  const username = entry?.name;
  // The field is newer than kubernetes-types (1.31+); the API serves it.
  const p: PodSecurityContext & { supplementalGroupsPolicy?: string } = podSpec.securityContext ?? {};
  // supplementalGroupsPolicy Strict (KEP-3619): the image's /etc/group memberships are not added,
  // only the primary group, supplementalGroups and fsGroup.
  if (username !== undefined && p.supplementalGroupsPolicy !== 'Strict') {
    for (const g of groups) if (g.name !== username && g.members.includes(username)) extra.push(g.gid);
  }
  for (const g of p.supplementalGroups ?? []) extra.push(g);
  if (p.fsGroup !== undefined) extra.push(p.fsGroup);
  return { uid, gid, additionalGids: [...new Set(extra)] };
}
