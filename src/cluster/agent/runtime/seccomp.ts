/**
 * The seccomp profile for a container's seccompProfile (effective: container over pod):
 * - RuntimeDefault: containerd's default profile (seccomp-default.json, data converted from
 *   containerd's seccomp_default.go), with its per-architecture, per-capability and
 *   kernel >= 4.8 additions applied for this container's bounding set;
 * - Localhost: a JSON profile (OCI LinuxSeccomp or Docker/containerd profile format) the caller
 *   read from the agent's seccomp directory;
 * - Unconfined or unset: none (the kubelet's default unless --seccomp-default).
 * A privileged container gets none, as containerd.
 */
import type { SeccompProfile } from 'kubernetes-types/core/v1.js';
import profile from './seccomp-default.json' with { type: 'json' };

export interface SeccompRule {
  names: string[];
  action: string;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
  errnoRet?: number;
}

export interface LinuxSeccomp {
  defaultAction: string;
  architectures?: string[];
  syscalls?: SeccompRule[];
}

interface ProfileData {
  defaultAction: string;
  architectures: Record<string, string[]>;
  base: SeccompRule[];
  kernel4_8: SeccompRule;
  byArch: Record<string, SeccompRule>;
  byCapability: Record<string, SeccompRule>;
  withoutSysAdmin: Record<string, SeccompRule[]>;
}

const data = profile as unknown as ProfileData;

/** containerd's DefaultProfile for a process with these bounding capabilities on this architecture. */
export function runtimeDefaultProfile(boundingCaps: readonly string[], arch: string = process.arch): LinuxSeccomp {
  const syscalls: SeccompRule[] = [...data.base, data.kernel4_8];
  const archRule = data.byArch[arch];
  if (archRule) syscalls.push(archRule);
  let admin = false;
  for (const cap of boundingCaps) {
    const rule = data.byCapability[cap];
    if (rule) syscalls.push(rule);
    if (cap === 'CAP_SYS_ADMIN') admin = true;
  }
  if (!admin) syscalls.push(...(data.withoutSysAdmin[arch === 's390x' ? 's390x' : 'default'] ?? []));
  return { defaultAction: data.defaultAction, architectures: data.architectures[arch] ?? [], syscalls };
}

export class SeccompProfileError extends Error {}

/**
 * The OCI seccomp section, or undefined for none. readLocalhost(path) returns the profile file's
 * text for a Localhost profile (path relative to the agent's seccomp root, as the kubelet's).
 */
export function seccompFor(p: SeccompProfile | undefined, privileged: boolean, boundingCaps: readonly string[], localhost?: string): LinuxSeccomp | undefined {
  if (privileged || !p || p.type === 'Unconfined') return undefined;
  if (p.type === 'RuntimeDefault') return runtimeDefaultProfile(boundingCaps);
  if (p.type === 'Localhost') {
    if (localhost === undefined) throw new SeccompProfileError(`localhost seccomp profile ${JSON.stringify(p.localhostProfile ?? '')} was not found`);
    return fromProfileJson(localhost);
  }
  throw new SeccompProfileError(`unknown seccomp profile type ${JSON.stringify(p.type)}`);
}

/** Accepts the OCI form (names/action) and Docker's (name or names, action, args with lowercase keys). */
function fromProfileJson(text: string): LinuxSeccomp {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SeccompProfileError(`decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { defaultAction?: unknown }).defaultAction !== 'string') {
    throw new SeccompProfileError('decoding seccomp profile failed: defaultAction is required');
  }
  const r = raw as { defaultAction: string; architectures?: string[]; syscalls?: Array<Record<string, unknown>> };
  const syscalls: SeccompRule[] = (r.syscalls ?? []).map((s) => {
    const names = Array.isArray(s.names) ? (s.names as string[]) : typeof s.name === 'string' ? [s.name] : [];
    const rule: SeccompRule = { names, action: String(s.action) };
    if (Array.isArray(s.args) && s.args.length > 0) rule.args = s.args as SeccompRule['args'];
    if (typeof s.errnoRet === 'number') rule.errnoRet = s.errnoRet;
    return rule;
  });
  const out: LinuxSeccomp = { defaultAction: r.defaultAction, syscalls };
  if (Array.isArray(r.architectures)) out.architectures = r.architectures;
  return out;
}
