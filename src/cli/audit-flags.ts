/** kube-apiserver's --audit-* flags, as `portcullis up` takes them. */
import type { AuditOptions } from '../audit/config.ts';
import { durationFlag, flag, type ParsedArgs } from './args.ts';

export const AUDIT_FLAGS = [
  'audit-policy-file',
  'audit-log-path',
  'audit-log-format',
  'audit-log-maxage',
  'audit-log-maxbackup',
  'audit-log-maxsize',
  'audit-webhook-config-file',
  'audit-webhook-batch-max-size',
  'audit-webhook-batch-max-wait',
  'audit-webhook-batch-buffer-size',
] as const;

export function auditFromFlags(args: ParsedArgs): AuditOptions | undefined {
  if (!AUDIT_FLAGS.some((f) => args.flags.has(f))) return undefined;
  const str = (name: string) => flag(args, name, '') || undefined;
  return {
    policyFile: str('audit-policy-file'),
    logPath: str('audit-log-path'),
    logFormat: flag(args, 'audit-log-format', 'json'),
    logMaxAgeDays: count(args, 'audit-log-maxage', 0),
    logMaxBackups: count(args, 'audit-log-maxbackup', 0),
    logMaxSizeMB: count(args, 'audit-log-maxsize', 0),
    webhookConfigFile: str('audit-webhook-config-file'),
    webhookBatchMaxSize: count(args, 'audit-webhook-batch-max-size', 400),
    webhookBatchMaxWaitMs: durationFlag(args, 'audit-webhook-batch-max-wait', '30s'),
    webhookBatchBufferSize: count(args, 'audit-webhook-batch-buffer-size', 10000),
  };
}

function count(args: ParsedArgs, name: string, def: number): number {
  const v = flag(args, name, String(def));
  if (!/^\d{1,9}$/.test(v)) throw new Error(`invalid argument ${JSON.stringify(v)} for "--${name}" flag: a non-negative integer is required`);
  return Number(v);
}
