/**
 * Shapes for the Pod Security Standards engine (upstream k8s.io/pod-security-admission/policy).
 * Pods arrive as decoded JSON, so every field is optional and may be null: a Go nil pointer is
 * `undefined | null` here, and a Go zero value ("" / 0 / false) is the same as unset unless a
 * check says otherwise.
 */

export type Level = 'privileged' | 'baseline' | 'restricted';

/** A check's own level: privileged has no checks. */
export type CheckLevel = 'baseline' | 'restricted';

/** Policy version as written in a namespace label: "latest" or "v1.<minor>". */
export type PolicyVersion = 'latest' | `v1.${number}`;

/** What one check says about one pod (upstream policy.CheckResult). */
export interface CheckResult {
  readonly allowed: boolean;
  /** Short, always printed ("host ports", "privileged"). Set when allowed is false. */
  readonly forbiddenReason?: string;
  /** Specific values (containers, ports); printed in parentheses after the reason. May be "". */
  readonly forbiddenDetail?: string;
}

type Maybe<T> = T | null | undefined;

export interface PodMetaLike {
  readonly name?: Maybe<string>;
  readonly annotations?: Maybe<Readonly<Record<string, string>>>;
}

export interface SeccompProfileLike { readonly type?: Maybe<string> }
export interface AppArmorProfileLike { readonly type?: Maybe<string> }
export interface SELinuxOptionsLike {
  readonly type?: Maybe<string>;
  readonly user?: Maybe<string>;
  readonly role?: Maybe<string>;
}
export interface WindowsOptionsLike { readonly hostProcess?: Maybe<boolean> }

export interface ContainerSecurityContextLike {
  readonly privileged?: Maybe<boolean>;
  readonly allowPrivilegeEscalation?: Maybe<boolean>;
  readonly runAsNonRoot?: Maybe<boolean>;
  readonly runAsUser?: Maybe<number>;
  readonly procMount?: Maybe<string>;
  readonly capabilities?: Maybe<{ readonly add?: Maybe<readonly string[]>; readonly drop?: Maybe<readonly string[]> }>;
  readonly seccompProfile?: Maybe<SeccompProfileLike>;
  readonly appArmorProfile?: Maybe<AppArmorProfileLike>;
  readonly seLinuxOptions?: Maybe<SELinuxOptionsLike>;
  readonly windowsOptions?: Maybe<WindowsOptionsLike>;
}

export interface HostHandlerLike {
  readonly httpGet?: Maybe<{ readonly host?: Maybe<string> }>;
  readonly tcpSocket?: Maybe<{ readonly host?: Maybe<string> }>;
}

export interface ContainerLike {
  readonly name?: Maybe<string>;
  readonly securityContext?: Maybe<ContainerSecurityContextLike>;
  readonly ports?: Maybe<ReadonlyArray<{ readonly hostPort?: Maybe<number> }>>;
  readonly livenessProbe?: Maybe<HostHandlerLike>;
  readonly readinessProbe?: Maybe<HostHandlerLike>;
  readonly startupProbe?: Maybe<HostHandlerLike>;
  readonly lifecycle?: Maybe<{ readonly postStart?: Maybe<HostHandlerLike>; readonly preStop?: Maybe<HostHandlerLike> }>;
}

export interface PodSecurityContextLike {
  readonly runAsNonRoot?: Maybe<boolean>;
  readonly runAsUser?: Maybe<number>;
  readonly seccompProfile?: Maybe<SeccompProfileLike>;
  readonly appArmorProfile?: Maybe<AppArmorProfileLike>;
  readonly seLinuxOptions?: Maybe<SELinuxOptionsLike>;
  readonly windowsOptions?: Maybe<WindowsOptionsLike>;
  readonly sysctls?: Maybe<ReadonlyArray<{ readonly name?: Maybe<string> }>>;
}

/** A volume: name plus exactly one source key (hostPath, configMap, ...), read by key name. */
export interface VolumeLike {
  readonly name?: Maybe<string>;
  readonly hostPath?: unknown;
}

export interface PodSpecLike {
  readonly hostNetwork?: Maybe<boolean>;
  readonly hostPID?: Maybe<boolean>;
  readonly hostIPC?: Maybe<boolean>;
  readonly hostUsers?: Maybe<boolean>;
  readonly os?: Maybe<{ readonly name?: Maybe<string> }>;
  readonly securityContext?: Maybe<PodSecurityContextLike>;
  readonly volumes?: Maybe<readonly VolumeLike[]>;
  readonly initContainers?: Maybe<readonly ContainerLike[]>;
  readonly containers?: Maybe<readonly ContainerLike[]>;
  readonly ephemeralContainers?: Maybe<readonly ContainerLike[]>;
}

export type CheckFn = (meta: PodMetaLike, spec: PodSpecLike) => CheckResult;

/** One revision of a check, in force from policy version v1.<minVersion> on. */
export interface VersionedCheck {
  readonly minVersion: number;
  readonly check: CheckFn;
  /** Baseline check IDs this restricted revision replaces at the same version. */
  readonly overrides?: readonly string[];
}

/** A check as upstream registers it: ID, level, and its revisions in increasing version order. */
export interface CheckDefinition {
  readonly id: string;
  readonly level: CheckLevel;
  readonly versions: readonly VersionedCheck[];
}
