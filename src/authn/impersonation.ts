/**
 * Impersonation (upstream endpoints/filters/impersonation.go): Impersonate-User, -Group
 * (repeatable), -Uid and -Extra-<key>. Every requested identity is authorized separately with the
 * `impersonate` verb against the authenticated user, in upstream's order (user, groups, extras,
 * uid); the first refusal is a 403 with upstream's text and nothing is switched.
 *
 * Differences from upstream, all refusals of ambiguous input: Impersonate-Group/-Uid/-Extra
 * without Impersonate-User is a 400 (upstream answers 500), and a repeated Impersonate-User or
 * Impersonate-Uid is a 400 instead of "the first one wins".
 */
import type { UserInfo } from './types.ts';
import { GROUP_AUTHENTICATED, GROUP_UNAUTHENTICATED, USER_ANONYMOUS } from './types.ts';
import type { AuthzAttributes, AuthzResult } from '../authz/types.ts';
import { forbiddenMessage } from '../authz/forbidden-message.ts';
import { badRequest, forbidden } from '../api/errors.ts';
import { deleteHeaders, HeaderEncodingError, headerValues, identityHeaderValues, unescapeExtraKey, type HeaderBag } from './raw-headers.ts';

export const IMPERSONATE_USER = 'impersonate-user';
export const IMPERSONATE_GROUP = 'impersonate-group';
export const IMPERSONATE_UID = 'impersonate-uid';
export const IMPERSONATE_EXTRA_PREFIX = 'impersonate-extra-';
const IMPERSONATE_PREFIX = 'impersonate-';

const AUTHN_GROUP = 'authentication.k8s.io';
const SA_PREFIX = 'system:serviceaccount:';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type ImpersonationAuthorize = (attrs: AuthzAttributes) => Promise<boolean | AuthzResult>;

type Target =
  | { kind: 'user'; name: string }
  | { kind: 'serviceaccount'; namespace: string; name: string }
  | { kind: 'group'; name: string }
  | { kind: 'extra'; key: string; value: string }
  | { kind: 'uid'; value: string };

export function isImpersonationHeader(lowerName: string): boolean {
  return lowerName === IMPERSONATE_USER || lowerName === IMPERSONATE_GROUP || lowerName === IMPERSONATE_UID || lowerName.startsWith(IMPERSONATE_EXTRA_PREFIX);
}

/** Whether any header name (in any case) starts with "impersonate-". */
export function hasImpersonationHeader(headers: HeaderBag): boolean {
  for (const name in headers) {
    // 'i' or 'I' first: most names are rejected without making a string.
    if ((name.charCodeAt(0) | 0x20) !== 0x69 || name.length <= IMPERSONATE_PREFIX.length) continue;
    if (name.slice(0, IMPERSONATE_PREFIX.length).toLowerCase() === IMPERSONATE_PREFIX) return true;
  }
  return false;
}

/** Removes every Impersonate-* header, in place. */
export function stripImpersonationHeaders(headers: Record<string, unknown>): void {
  deleteHeaders(headers, isImpersonationHeader);
}

/**
 * The identity to act as, or undefined when the request asks for no impersonation. Throws a 403
 * ApiError when any requested identity is not allowed, 400 for malformed requests. On success the
 * Impersonate-* headers are removed from `headers`.
 */
export async function impersonate(headers: HeaderBag, user: UserInfo, authorize: ImpersonationAuthorize): Promise<UserInfo | undefined> {
  // Nearly every request impersonates nobody: one pass over the names instead of parsing.
  if (!hasImpersonationHeader(headers)) return undefined;
  const targets = requestedTargets(headers);
  if (targets.length === 0) return undefined;
  const groupsSpecified = headerValues(headers, IMPERSONATE_GROUP).length > 0;

  let username = '';
  let groups: string[] = [];
  let uid: string | undefined;
  const extra: Record<string, string[]> = {};
  for (const t of targets) {
    const attrs = attributesFor(user, t);
    let decision: boolean | AuthzResult;
    try {
      decision = await authorize(attrs);
    } catch {
      decision = false; // upstream: an authorizer error is a refusal
    }
    const allowed = typeof decision === 'boolean' ? decision : decision.decision === 'allow';
    if (!allowed) {
      const reason = typeof decision === 'boolean' ? '' : decision.reason;
      const msg = reason ? `${forbiddenMessage(attrs)}: ${reason}` : forbiddenMessage(attrs);
      throw forbidden({ group: attrs.apiGroup, resource: attrs.resource }, attrs.name, msg);
    }
    if (t.kind === 'user') username = t.name;
    else if (t.kind === 'serviceaccount') {
      username = `${SA_PREFIX}${t.namespace}:${t.name}`;
      // A service account's groups are a fixed mapping, used unless groups were asked for.
      if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${t.namespace}`];
    } else if (t.kind === 'group') groups.push(t.name);
    else if (t.kind === 'extra') (extra[t.key] ??= []).push(t.value);
    else uid = t.value;
  }

  if (username !== USER_ANONYMOUS) {
    if (!groups.includes(GROUP_AUTHENTICATED) && !groups.includes(GROUP_UNAUTHENTICATED)) groups = [...groups, GROUP_AUTHENTICATED];
  } else if (!groups.includes(GROUP_UNAUTHENTICATED)) {
    groups = [...groups, GROUP_UNAUTHENTICATED];
  }

  const out: UserInfo = { username, groups };
  if (uid !== undefined) out.uid = uid;
  if (Object.keys(extra).length > 0) out.extra = extra;
  stripImpersonationHeaders(headers);
  return out;
}

/** The header's values read as UTF-8, as Go reads them; bytes that are not UTF-8 are a 400. */
function values(headers: HeaderBag, name: string): string[] {
  try {
    return identityHeaderValues(headers, name);
  } catch (err) {
    if (err instanceof HeaderEncodingError) throw badRequest(`invalid impersonation header ${err.message}`);
    throw err;
  }
}

function requestedTargets(headers: HeaderBag): Target[] {
  const targets: Target[] = [];
  const users = values(headers, IMPERSONATE_USER);
  if (users.length > 1) throw badRequest('multiple Impersonate-User headers');
  const requestedUser = users[0] ?? '';
  if (requestedUser !== '') targets.push(userTarget(requestedUser));

  const groups = values(headers, IMPERSONATE_GROUP);
  for (const name of groups) targets.push({ kind: 'group', name });

  let hasExtra = false;
  // Sorted so the order of checks (and so which refusal is reported) does not depend on header order.
  for (const header of Object.keys(headers).sort()) {
    const lower = header.toLowerCase();
    if (!lower.startsWith(IMPERSONATE_EXTRA_PREFIX)) continue;
    hasExtra = true;
    const key = unescapeExtraKey(lower.slice(IMPERSONATE_EXTRA_PREFIX.length));
    for (const value of values(headers, header)) targets.push({ kind: 'extra', key, value });
  }

  const uids = values(headers, IMPERSONATE_UID);
  if (uids.length > 1) throw badRequest('multiple Impersonate-Uid headers');
  const requestedUid = uids[0] ?? '';
  if (requestedUid !== '') targets.push({ kind: 'uid', value: requestedUid });

  if ((groups.length > 0 || hasExtra || requestedUid !== '') && requestedUser === '') {
    throw badRequest(`requested ${targets.map(describe).join(', ')} without impersonating a user`);
  }
  return targets;
}

/** "system:serviceaccount:<ns>:<name>" with a valid namespace and name is a service account. */
function userTarget(name: string): Target {
  if (name.startsWith(SA_PREFIX)) {
    const parts = name.slice(SA_PREFIX.length).split(':');
    if (parts.length === 2) {
      const [ns, sa] = parts as [string, string];
      if (ns.length <= 63 && DNS_LABEL.test(ns) && sa.length <= 253 && DNS_SUBDOMAIN.test(sa)) {
        return { kind: 'serviceaccount', namespace: ns, name: sa };
      }
    }
  }
  return { kind: 'user', name };
}

function attributesFor(user: UserInfo, t: Target): AuthzAttributes {
  const base = { user, verb: 'impersonate', isResourceRequest: true, path: '', namespace: '', subresource: '' };
  switch (t.kind) {
    case 'user':
      return { ...base, apiGroup: '', apiVersion: '', resource: 'users', name: t.name };
    case 'serviceaccount':
      return { ...base, apiGroup: '', apiVersion: '', resource: 'serviceaccounts', namespace: t.namespace, name: t.name };
    case 'group':
      return { ...base, apiGroup: '', apiVersion: '', resource: 'groups', name: t.name };
    case 'extra':
      return { ...base, apiGroup: AUTHN_GROUP, apiVersion: 'v1', resource: 'userextras', subresource: t.key, name: t.value };
    case 'uid':
      return { ...base, apiGroup: AUTHN_GROUP, apiVersion: 'v1', resource: 'uids', name: t.value };
  }
}

function describe(t: Target): string {
  switch (t.kind) {
    case 'user':
      return `user ${JSON.stringify(t.name)}`;
    case 'serviceaccount':
      return `serviceaccount ${JSON.stringify(`${t.namespace}/${t.name}`)}`;
    case 'group':
      return `group ${JSON.stringify(t.name)}`;
    case 'extra':
      return `extra ${JSON.stringify(`${t.key}=${t.value}`)}`;
    case 'uid':
      return `uid ${JSON.stringify(t.value)}`;
  }
}
