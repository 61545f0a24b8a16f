import type { PluginDeps } from './plugin-deps.ts';
import type { MutatingPlugin, ValidatingPlugin } from './types.ts';
import type { ResourceRegistry } from '../api/registry/registry.ts';
import { AlwaysAdmit } from './plugins/always-admit.ts';
import { AlwaysDeny } from './plugins/always-deny.ts';
import { AlwaysPullImages } from './plugins/always-pull-images.ts';
import { ImagePolicyWebhook } from './plugins/image-policy-webhook.ts';
import type { ImagePolicyWebhookConfig } from '../image-policy/webhook/config.ts';
import { CertificateApproval } from './plugins/certificate-approval.ts';
import { CertificateSigning } from './plugins/certificate-signing.ts';
import { CertificateSubjectRestriction } from './plugins/certificate-subject-restriction.ts';
import { DefaultTolerationSeconds } from './plugins/default-toleration-seconds.ts';
import { DenyEscalatingExec, DenyExecOnPrivileged } from './plugins/deny-exec-on-privileged.ts';
import { LimitPodHardAntiAffinityTopology } from './plugins/limit-pod-hard-anti-affinity-topology.ts';
import { LimitRanger } from './plugins/limit-ranger.ts';
import { DefaultStorageClass } from './plugins/default-storage-class.ts';
import { NamespaceAutoProvision } from './plugins/namespace-autoprovision.ts';
import { NamespaceExists } from './plugins/namespace-exists.ts';
import { NamespaceLifecycle } from './plugins/namespace-lifecycle.ts';
import { NodeRestriction } from './plugins/node-restriction.ts';
import { OwnerReferencesPermissionEnforcement } from './plugins/owner-references-permission-enforcement.ts';
import { PodNodeSelector } from './plugins/pod-node-selector.ts';
import { PodSecurity, type PodSecurityConfig } from './plugins/pod-security.ts';
import { PodSecurityPolicy } from './plugins/pod-security-policy.ts';
import { Priority } from './plugins/priority.ts';
import { ResourceQuota } from './plugins/resource-quota.ts';
import type { ResourceQuotaConfig } from './quota/config-file.ts';
import { SecurityContextDeny } from './plugins/security-context-deny.ts';
import { ServiceAccount } from './plugins/service-account.ts';
import { MutatingAdmissionWebhook } from './webhook/mutating-admission-webhook.ts';
import { ValidatingAdmissionWebhook } from './webhook/validating-admission-webhook.ts';
import { ValidatingAdmissionPolicyPlugin } from './cel/validating-admission-policy.ts';
import { MutatingAdmissionPolicyPlugin } from './cel/mutating/mutating-admission-policy.ts';
import { ImageVerification } from '../image-policy/admission/plugin.ts';
import { TaintNodesByCondition } from './plugins/taint-nodes-by-condition.ts';
import { StorageObjectInUseProtection } from './plugins/storage-object-in-use-protection.ts';
import { PersistentVolumeClaimResize } from './plugins/persistent-volume-claim-resize.ts';
import { RuntimeClass } from './plugins/runtime-class.ts';
import { DefaultIngressClass } from './plugins/default-ingress-class.ts';
import { DenyServiceExternalIPs } from './plugins/deny-service-external-ips.ts';
import type { ImageVerificationConfig } from '../image-policy/admission/config.ts';

type AnyPlugin = Partial<MutatingPlugin> & Partial<ValidatingPlugin> & { readonly name: string };
export interface PluginContext {
  deps: PluginDeps;
  /** The served resources (owner references of custom resources). */
  registry?: ResourceRegistry;
  /** PodSecurity defaults and exemptions (--admission-control-config-file). */
  podSecurity?: PodSecurityConfig;
  /** ImagePolicyWebhook's imagePolicy settings (--admission-control-config-file). */
  imagePolicyWebhook?: ImagePolicyWebhookConfig;
  /** ImageVerification settings (deadline, no-match default, registry hosts). */
  imageVerification?: ImageVerificationConfig;
  /** ResourceQuota's limitedResources (--admission-control-config-file). */
  resourceQuota?: ResourceQuotaConfig;
}
type Factory = (c: PluginContext) => AnyPlugin;

/**
 * Every admission plugin Portcullis has, in upstream's run order (kube-apiserver's
 * AllOrderedPlugins): a plugin's place in this list is its place in the chain, whatever order
 * the flags name them in.
 */
const PLUGINS: Array<[string, Factory]> = [
  ['AlwaysAdmit', ({ deps }) => new AlwaysAdmit(deps)],
  ['NamespaceAutoProvision', ({ deps }) => new NamespaceAutoProvision(deps)],
  ['NamespaceLifecycle', ({ deps }) => new NamespaceLifecycle(deps.store)],
  ['NamespaceExists', ({ deps }) => new NamespaceExists(deps)],
  ['SecurityContextDeny', ({ deps }) => new SecurityContextDeny(deps)],
  ['LimitPodHardAntiAffinityTopology', ({ deps }) => new LimitPodHardAntiAffinityTopology(deps)],
  ['LimitRanger', ({ deps }) => new LimitRanger(deps)],
  ['ServiceAccount', ({ deps }) => new ServiceAccount(deps)],
  ['NodeRestriction', ({ deps }) => new NodeRestriction(deps)],
  ['TaintNodesByCondition', () => new TaintNodesByCondition()],
  ['AlwaysPullImages', ({ deps }) => new AlwaysPullImages(deps)],
  ['ImagePolicyWebhook', ({ deps, imagePolicyWebhook }) => new ImagePolicyWebhook(deps, imagePolicyWebhook)],
  ['PodSecurity', ({ deps, podSecurity }) => new PodSecurity(deps.store, podSecurity)],
  ['PodSecurityPolicy', ({ deps }) => new PodSecurityPolicy(deps)],
  ['PodNodeSelector', ({ deps }) => new PodNodeSelector(deps)],
  ['Priority', ({ deps }) => new Priority(deps)],
  ['DefaultTolerationSeconds', ({ deps }) => new DefaultTolerationSeconds(deps)],
  ['DefaultStorageClass', ({ deps }) => new DefaultStorageClass(deps)],
  ['StorageObjectInUseProtection', () => new StorageObjectInUseProtection()],
  // Removed upstream in 1.18 but listed in the seeds; kept with their old meaning.
  ['DenyEscalatingExec', ({ deps }) => new DenyEscalatingExec(deps)],
  ['DenyExecOnPrivileged', ({ deps }) => new DenyExecOnPrivileged(deps)],
  ['OwnerReferencesPermissionEnforcement', ({ deps, registry }) => new OwnerReferencesPermissionEnforcement(deps, registry ? { registry } : {})],
  ['PersistentVolumeClaimResize', ({ deps }) => new PersistentVolumeClaimResize(deps)],
  ['RuntimeClass', ({ deps }) => new RuntimeClass(deps)],
  ['CertificateApproval', ({ deps }) => new CertificateApproval(deps)],
  ['CertificateSigning', ({ deps }) => new CertificateSigning(deps)],
  ['CertificateSubjectRestriction', () => new CertificateSubjectRestriction()],
  ['DefaultIngressClass', ({ deps }) => new DefaultIngressClass(deps)],
  // Off by default as upstream.
  ['DenyServiceExternalIPs', () => new DenyServiceExternalIPs()],
  // Off by default as upstream (its feature gate is off in 1.33 and 1.34); enabling it also serves its API.
  ['MutatingAdmissionPolicy', ({ deps, registry }) => new MutatingAdmissionPolicyPlugin(deps, registry)],
  ['MutatingAdmissionWebhook', ({ deps }) => new MutatingAdmissionWebhook(deps)],
  // After every other mutation, so the images it pins are the ones that run; its validating half
  // checks writes of the trust policies.
  ['ImageVerification', ({ deps, imageVerification }) => new ImageVerification(deps, imageVerification)],
  ['ValidatingAdmissionPolicy', ({ deps, registry }) => new ValidatingAdmissionPolicyPlugin(deps, registry)],
  ['ValidatingAdmissionWebhook', ({ deps }) => new ValidatingAdmissionWebhook(deps)],
  // Last among validating plugins: it charges usage, so nothing after it may refuse.
  ['ResourceQuota', ({ deps, resourceQuota }) => new ResourceQuota(deps, resourceQuota)],
  ['AlwaysDeny', ({ deps }) => new AlwaysDeny(deps)],
];

/** Upstream's default-enabled set, restricted to the plugins we have. */
export const DEFAULT_ENABLED = new Set([
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  // Off upstream by default but on in kubeadm clusters; the node agents rely on it.
  'NodeRestriction',
  'TaintNodesByCondition',
  'PodSecurity',
  'Priority',
  'DefaultTolerationSeconds',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  // ClusterTrustBundleAttest (on upstream) is left out: ClusterTrustBundles are not served.
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'MutatingAdmissionWebhook',
  // Portcullis's own: admits without a look until a ClusterImagePolicy or ImagePolicy exists.
  'ImageVerification',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
]);

export function knownPlugins(): string[] {
  return PLUGINS.map(([n]) => n);
}

export interface AdmissionSelection {
  /** --enable-admission-plugins: added to the defaults. */
  enable?: string[];
  /** --disable-admission-plugins: removed from the defaults. */
  disable?: string[];
  /** From --admission-control-config-file. */
  podSecurity?: PodSecurityConfig;
  imagePolicyWebhook?: ImagePolicyWebhookConfig;
  imageVerification?: ImageVerificationConfig;
  resourceQuota?: ResourceQuotaConfig;
}

/**
 * The mutating and validating plugins to run, in order. An unknown name is a configuration error
 * naming it (fail at start, never silently run without a plugin someone asked for).
 */
export function buildAdmissionPlugins(sel: AdmissionSelection, deps: PluginDeps, registry?: ResourceRegistry): { mutating: MutatingPlugin[]; validating: ValidatingPlugin[]; enabled: string[] } {
  const known = new Set(knownPlugins());
  const unknown = [...(sel.enable ?? []), ...(sel.disable ?? [])].filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`unknown admission plugins: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const both = (sel.enable ?? []).filter((n) => (sel.disable ?? []).includes(n));
  if (both.length > 0) throw new Error(`admission plugins both enabled and disabled: ${both.join(', ')}`);
  const wanted = new Set([...DEFAULT_ENABLED, ...(sel.enable ?? [])]);
  for (const n of sel.disable ?? []) wanted.delete(n);
  const mutating: MutatingPlugin[] = [];
  const validating: ValidatingPlugin[] = [];
  const enabled: string[] = [];
  for (const [name, make] of PLUGINS) {
    if (!wanted.has(name)) continue;
    const p = make({ deps, registry, podSecurity: sel.podSecurity, imagePolicyWebhook: sel.imagePolicyWebhook, imageVerification: sel.imageVerification, resourceQuota: sel.resourceQuota });
    enabled.push(name);
    if (typeof p.admit === 'function') mutating.push(p as MutatingPlugin);
    if (typeof p.validate === 'function') validating.push(p as ValidatingPlugin);
  }
  return { mutating, validating, enabled };
}
