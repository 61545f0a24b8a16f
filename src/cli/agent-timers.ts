/**
 * The agent's periodic work as the kubelet's KubeletConfiguration sets it (v1beta1 defaults):
 * syncFrequency (--sync-frequency, 1m) the pod resync, nodeStatusUpdateFrequency
 * (--node-status-update-frequency, 10s) the status loop, nodeStatusReportFrequency (5m; the file's
 * nodeStatusUpdateFrequency when only that is set, kubelet-config.ts) the status report when
 * nothing changed, nodeLeaseDurationSeconds (40) the Lease's duration, renewed every quarter of
 * it (the kubelet's nodeLeaseRenewIntervalFraction 0.25).
 */
import type { AgentOptions } from '../cluster/agent/agent-options.ts';
import { durationFlag, flag, int32Flag, invalidFlag, type ParsedArgs } from './args.ts';

export function agentTimers(args: ParsedArgs): Pick<AgentOptions, 'resyncMs' | 'statusUpdateMs' | 'statusReportMs' | 'leaseDurationSeconds' | 'leaseRenewMs'> {
  // A zero period would spin (the kubelet's own loops run back to back): refused, as a negative one is.
  const period = (name: string, def: string) => {
    const ms = durationFlag(args, name, def);
    if (ms === 0) throw invalidFlag(name, flag(args, name, def), 'must be greater than 0');
    return ms;
  };
  const leaseDurationSeconds = int32Flag(args, 'node-lease-duration-seconds', 40);
  if (leaseDurationSeconds <= 0) throw new Error('invalid configuration: nodeLeaseDurationSeconds must be greater than 0');
  return {
    resyncMs: period('sync-frequency', '1m'),
    statusUpdateMs: period('node-status-update-frequency', '10s'),
    statusReportMs: period('node-status-report-frequency', '5m'),
    leaseDurationSeconds,
    leaseRenewMs: leaseDurationSeconds * 250,
  };
}
