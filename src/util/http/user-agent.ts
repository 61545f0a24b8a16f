/**
 * User-Agent strings in client-go's shape, so logs and audit events (userAgent) read as they do
 * against kube-apiserver. rest.DefaultKubernetesUserAgent is
 * "<command>/<version> (<os>/<arch>) kubernetes/<commit>" with the version cut at its first '-'
 * and the commit cut to 7 characters; rest.AddUserAgent appends "/<suffix>" to that default
 * (kube-controller-manager's per-controller clients, the schedulers' leader-election client).
 * Version, commit and platform come from /version (src/server/version.ts), as Go's from
 * version.Get() and runtime.GOOS/GOARCH.
 */
import { versionInfo } from '../../server/version.ts';

/** client-go's adjustVersion: "v1.33.0-beta.1" -> "v1.33.0"; empty -> "unknown". */
function adjustVersion(v: string): string {
  return v === '' ? 'unknown' : v.split('-', 1)[0]!;
}

/** client-go's adjustCommit: enough of the hash; empty -> "unknown". */
function adjustCommit(c: string): string {
  return c === '' ? 'unknown' : c.slice(0, 7);
}

/** DefaultKubernetesUserAgent for `command`, plus AddUserAgent's "/suffix" when given. */
export function kubernetesUserAgent(command: string, suffix?: string): string {
  const v = versionInfo();
  const base = `${command}/${adjustVersion(v.gitVersion!)} (${v.platform}) kubernetes/${adjustCommit(v.gitCommit!)}`;
  return suffix === undefined ? base : `${base}/${suffix}`;
}

/**
 * What the API server's own webhook clients send (token and authorization webhooks, audit,
 * ImagePolicyWebhook, OIDC discovery): the process's default, as a client-go client built
 * without a UserAgent of its own.
 */
export const API_SERVER_USER_AGENT = kubernetesUserAgent('kube-apiserver');

/**
 * Admission webhooks: upstream's webhook client manager (apiserver/pkg/util/webhook,
 * setGlobalDefaults) sets this fixed string, which webhook servers see and some check.
 */
export const ADMISSION_USER_AGENT = 'kube-apiserver-admission';
