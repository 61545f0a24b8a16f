/** --enable-priority-and-fairness, --max-requests-inflight, --max-mutating-requests-inflight (kube-apiserver's). */
import { boolFlag, flag, type ParsedArgs } from './args.ts';
import type { FlowControlFlags } from '../server/flowcontrol/setup.ts';

export const FLOW_CONTROL_FLAGS = ['max-requests-inflight', 'max-mutating-requests-inflight'] as const;
export const FLOW_CONTROL_BOOLEANS = ['enable-priority-and-fairness'] as const;

function nonNegative(args: ParsedArgs, name: string, def: number): number {
  const text = flag(args, name, String(def));
  // Upstream's message for a negative value; anything else that is not a whole number is invalid.
  if (/^-\d+$/.test(text)) throw new Error(`--${name} can not be negative value`);
  if (!/^\d+$/.test(text)) throw new Error(`invalid --${name}: ${text}`);
  return Number(text);
}

export function flowControlFromFlags(args: ParsedArgs): FlowControlFlags {
  return {
    enabled: boolFlag(args, 'enable-priority-and-fairness', true),
    maxRequestsInflight: nonNegative(args, 'max-requests-inflight', 400),
    maxMutatingRequestsInflight: nonNegative(args, 'max-mutating-requests-inflight', 200),
  };
}
