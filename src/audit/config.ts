/**
 * Audit as configured (the --audit-* flags of kube-apiserver): the policy, the log and webhook
 * backends. Everything is read and checked when the server is built; a bad file fails the start.
 */
import type { Logger } from 'pino';
import { Auditor } from './auditor.ts';
import { LogBackend } from './log-backend.ts';
import { loadPolicyFile } from './policy.ts';
import { ensureAuditSigningKey } from './signing-key.ts';
import type { AuditBackend, Policy } from './types.ts';
import { WebhookBackend } from './webhook-backend.ts';

export interface AuditOptions {
  /** --audit-policy-file (or the policy itself, for tests). */
  policyFile?: string;
  policy?: Policy;
  /** --audit-log-path ('-' for standard output). */
  logPath?: string;
  /** --audit-log-format: only json (the legacy text format is refused). */
  logFormat?: string;
  logMaxAgeDays?: number;
  logMaxBackups?: number;
  /** --audit-log-maxsize in megabytes (0: lumberjack's 100). */
  logMaxSizeMB?: number;
  /** The same in bytes, for tests; wins over logMaxSizeMB. */
  logMaxSizeBytes?: number;
  /** Signed checkpoints: after this many records (default 1000) or this long (default 60 s). */
  checkpointEvery?: number;
  checkpointIntervalMs?: number;
  /** --audit-webhook-config-file and its batching. */
  webhookConfigFile?: string;
  webhookBatchMaxSize?: number;
  webhookBatchMaxWaitMs?: number;
  webhookBatchBufferSize?: number;
  webhookTimeoutMs?: number;
}

/** The auditor, or undefined when audit is not configured. The checkpoint key lives in <dataDir>/pki. */
export function buildAuditor(o: AuditOptions | undefined, dataDir: string, log: Logger): Auditor | undefined {
  if (!o) return undefined;
  const hasPolicy = o.policy !== undefined || !!o.policyFile;
  const hasBackend = !!o.logPath || !!o.webhookConfigFile;
  if (!hasPolicy && !hasBackend) return undefined;
  // Half a configuration would record nothing while looking as if it did.
  if (!hasPolicy) throw new Error('--audit-log-path and --audit-webhook-config-file need --audit-policy-file (without a policy nothing is recorded)');
  if (!hasBackend) throw new Error('--audit-policy-file needs --audit-log-path or --audit-webhook-config-file (records must go somewhere)');
  if (o.logFormat !== undefined && o.logFormat !== 'json') throw new Error(`--audit-log-format ${JSON.stringify(o.logFormat)} is not supported (json only)`);
  const policy = o.policy ?? loadPolicyFile(o.policyFile!);
  const backends: AuditBackend[] = [];
  const child = log.child({ component: 'audit' });
  if (o.webhookConfigFile) {
    backends.push(new WebhookBackend({ configFile: o.webhookConfigFile, maxBatchSize: o.webhookBatchMaxSize, maxBatchWaitMs: o.webhookBatchMaxWaitMs, bufferSize: o.webhookBatchBufferSize, requestTimeoutMs: o.webhookTimeoutMs, log: child }));
  }
  if (o.logPath) {
    backends.push(new LogBackend({
      path: o.logPath,
      maxSizeBytes: o.logMaxSizeBytes ?? (o.logMaxSizeMB ?? 0) * 1024 * 1024,
      maxBackups: o.logMaxBackups,
      maxAgeDays: o.logMaxAgeDays,
      signingKey: ensureAuditSigningKey(dataDir),
      checkpointEvery: o.checkpointEvery,
      checkpointIntervalMs: o.checkpointIntervalMs,
      log: child,
    }));
  }
  return new Auditor({ policy, backends, log: child });
}
