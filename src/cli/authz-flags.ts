/**
 * kube-apiserver's --authorization-* flags, and Portcullis's --authorization-casbin-*, as
 * `portcullis up` takes them; or --authorization-config, a structured AuthorizationConfiguration,
 * which (as upstream) cannot be combined with --authorization-mode or the webhook flags.
 */
import { loadAuthorizationConfig } from '../authz/authorization-config.ts';
import { parseAuthorizationModes, type AuthorizationMode } from '../authz/modes.ts';
import type { AuthorizationFiles } from '../server/authorization.ts';
import { commaList, durationFlag, flag, type ParsedArgs } from './args.ts';

const WEBHOOK_FLAGS = ['authorization-webhook-config-file', 'authorization-webhook-cache-authorized-ttl', 'authorization-webhook-cache-unauthorized-ttl'] as const;
const CASBIN_FLAGS = ['authorization-casbin-model', 'authorization-casbin-policy', 'authorization-casbin-policy-configmap'] as const;
export const AUTHZ_FLAGS = ['authorization-mode', 'authorization-config', 'authorization-policy-file', ...WEBHOOK_FLAGS, ...CASBIN_FLAGS] as const;

export function authorizationFromFlags(args: ParsedArgs): { authorizationModes: AuthorizationMode[]; authorizationFiles: AuthorizationFiles } {
  const configFile = flag(args, 'authorization-config', '');
  const policyFile = flag(args, 'authorization-policy-file', '') || undefined;
  if (configFile) {
    const clash = ['authorization-mode', ...WEBHOOK_FLAGS, ...CASBIN_FLAGS].filter((f) => args.flags.has(f));
    if (clash.length) throw new Error(`--authorization-config cannot be used with ${clash.map((f) => `--${f}`).join(', ')}`);
    const s = loadAuthorizationConfig(configFile);
    return {
      authorizationModes: s.modes,
      authorizationFiles: { policyFile, webhookConfigFile: s.webhook?.configFile, webhookAuthorizedTtlMs: s.webhook?.authorizedTtlMs, webhookUnauthorizedTtlMs: s.webhook?.unauthorizedTtlMs, webhookTimeoutMs: s.webhook?.timeoutMs, casbin: s.casbin },
    };
  }
  return {
    authorizationModes: parseAuthorizationModes(commaList(args, 'authorization-mode')),
    authorizationFiles: {
      policyFile,
      webhookConfigFile: flag(args, 'authorization-webhook-config-file', '') || undefined,
      webhookAuthorizedTtlMs: durationFlag(args, 'authorization-webhook-cache-authorized-ttl', '5m'),
      webhookUnauthorizedTtlMs: durationFlag(args, 'authorization-webhook-cache-unauthorized-ttl', '30s'),
      casbin: { model: flag(args, 'authorization-casbin-model', ''), policyFile: flag(args, 'authorization-casbin-policy', '') || undefined, policyConfigMap: flag(args, 'authorization-casbin-policy-configmap', '') || undefined },
    },
  };
}
