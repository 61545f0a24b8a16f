/**
 * The CRDs of governed policy exceptions and background policy reports, kept as data in
 * policies/crds: PolicyException (policy.portcullis.dev/v1alpha1, enforced by the
 * ValidatingAdmissionPolicy plugin) and wgpolicyk8s.io/v1alpha2 PolicyReport /
 * ClusterPolicyReport (written by the policy-reports controller). The API server installs them
 * at start as it installs the image trust-policy CRDs: created when missing, the spec put back
 * when it differs.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { installCrds, type InstallContext } from '../../../image-policy/trust-policy/install.ts';

const FILES = ['policy.portcullis.dev_policyexceptions.yaml', 'wgpolicyk8s.io_policyreports.yaml', 'wgpolicyk8s.io_clusterpolicyreports.yaml'];

export function policyExceptionAndReportCrds(): Record<string, any>[] {
  return FILES.map((f) => parse(readFileSync(new URL(`../../../../policies/crds/${f}`, import.meta.url), 'utf8')) as Record<string, any>);
}

export function ensurePolicyExceptionAndReportCrds(ctx: InstallContext): Promise<void> {
  return installCrds(ctx, policyExceptionAndReportCrds());
}
