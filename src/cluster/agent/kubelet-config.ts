/**
 * `portcullis agent --config FILE`: a KubeletConfiguration (kubelet.config.k8s.io/v1beta1, YAML
 * or JSON) for the settings the agent has flags for. Read strictly: a field KubeletConfiguration
 * does not have is upstream's "strict decoding error: unknown field ..." (the kubelet itself then
 * falls back to lenient decoding with a log line; the agent does not start instead), and a field
 * it has that the agent does not implement is refused by name rather than ignored. As the
 * kubelet, a flag given on the command line wins over the file's field (a map or list flag
 * replaces the field whole).
 *
 * The file's fields become the flags' values (kubeletConfigFlags), so one set of checks, with the
 * flags' messages, applies to both; registerWithTaints stays a list of taints, checked as
 * ValidateKubeletConfiguration does.
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { parse } from 'yaml';
import { registerWithTaintsErrors } from './kubelet-flags.ts';

export const KUBELET_CONFIG_API_VERSION = 'kubelet.config.k8s.io/v1beta1';

type Kind = 'int' | 'int64' | 'string' | 'duration' | 'map' | 'list';

/** The fields the agent implements: the flag each one stands for and its JSON type. */
const FIELDS: Record<string, { flag: string; kind: Kind }> = {
  maxPods: { flag: 'max-pods', kind: 'int' },
  podPidsLimit: { flag: 'pod-max-pids', kind: 'int64' },
  clusterDomain: { flag: 'cluster-domain', kind: 'string' },
  clusterDNS: { flag: 'cluster-dns', kind: 'list' },
  evictionHard: { flag: 'eviction-hard', kind: 'map' },
  evictionSoft: { flag: 'eviction-soft', kind: 'map' },
  evictionSoftGracePeriod: { flag: 'eviction-soft-grace-period', kind: 'map' },
  evictionMinimumReclaim: { flag: 'eviction-minimum-reclaim', kind: 'map' },
  evictionPressureTransitionPeriod: { flag: 'eviction-pressure-transition-period', kind: 'duration' },
  evictionMaxPodGracePeriod: { flag: 'eviction-max-pod-grace-period', kind: 'int' },
  systemReserved: { flag: 'system-reserved', kind: 'map' },
  kubeReserved: { flag: 'kube-reserved', kind: 'map' },
  enforceNodeAllocatable: { flag: 'enforce-node-allocatable', kind: 'list' },
  allowedUnsafeSysctls: { flag: 'allowed-unsafe-sysctls', kind: 'list' },
  imageGCHighThresholdPercent: { flag: 'image-gc-high-threshold', kind: 'int' },
  imageGCLowThresholdPercent: { flag: 'image-gc-low-threshold', kind: 'int' },
  imageMinimumGCAge: { flag: 'minimum-image-ttl-duration', kind: 'duration' },
  imagePullCredentialsVerificationPolicy: { flag: 'image-pull-credentials-verification-policy', kind: 'string' },
  preloadedImagesVerificationAllowlist: { flag: 'preloaded-images-verification-allowlist', kind: 'list' },
  // The agent's timers (heartbeatPeriods): the pod resync, the status loop, the Lease.
  syncFrequency: { flag: 'sync-frequency', kind: 'duration' },
  nodeStatusUpdateFrequency: { flag: 'node-status-update-frequency', kind: 'duration' },
  // No kubelet flag for these two: the file's only (the agent's command line does not take them).
  nodeStatusReportFrequency: { flag: 'node-status-report-frequency', kind: 'duration' },
  nodeLeaseDurationSeconds: { flag: 'node-lease-duration-seconds', kind: 'int' },
};

/** Fields whose zero value the kubelet's defaulting replaces (maxPods 0 is 110, a zero period its default): as if absent. */
const ZERO_IS_DEFAULT = new Set(['maxPods', 'evictionPressureTransitionPeriod', 'imageMinimumGCAge', 'syncFrequency', 'nodeStatusUpdateFrequency', 'nodeStatusReportFrequency', 'nodeLeaseDurationSeconds']);
const isZero = (kind: Kind, v: unknown) => (kind === 'int' ? v === 0 : typeof v === 'string' && /^[-+]?(0+(\.0*)?[a-zµ]*)+$/.test(v));

/** The separator between a map field's key and value in its flag's form. */
const MAP_SEP: Record<string, string> = { 'eviction-hard': '<', 'eviction-soft': '<' };

/** KubeletConfiguration v1beta1's other fields: known, not implemented here, refused by name. */
const NOT_IMPLEMENTED = new Set([
  'enableServer', 'staticPodPath', 'podLogsDir', 'fileCheckFrequency', 'httpCheckFrequency', 'staticPodURL', 'staticPodURLHeader',
  'address', 'port', 'readOnlyPort', 'tlsCertFile', 'tlsPrivateKeyFile', 'tlsCipherSuites', 'tlsCurvePreferences', 'tlsMinVersion', 'rotateCertificates',
  'serverTLSBootstrap', 'authentication', 'authorization', 'registryPullQPS', 'registryBurst', 'eventRecordQPS', 'eventBurst', 'enableDebuggingHandlers',
  'enableContentionProfiling', 'healthzPort', 'healthzBindAddress', 'oomScoreAdj', 'streamingConnectionIdleTimeout',
  'imageMaximumGCAge', 'volumeStatsAggPeriod', 'kubeletCgroups', 'systemCgroups', 'cgroupRoot',
  'cgroupsPerQOS', 'cgroupDriver', 'cpuManagerPolicy', 'singleProcessOOMKill', 'cpuManagerPolicyOptions', 'cpuManagerReconcilePeriod',
  'draManagerReconcilePeriod', 'memoryManagerPolicy', 'topologyManagerPolicy', 'topologyManagerScope', 'topologyManagerPolicyOptions', 'qosReserved',
  'runtimeRequestTimeout', 'hairpinMode', 'podCIDR', 'resolvConf', 'runOnce', 'cpuCFSQuota', 'cpuCFSQuotaPeriod', 'nodeStatusMaxImages', 'maxOpenFiles',
  'contentType', 'kubeAPIQPS', 'kubeAPIBurst', 'serializeImagePulls', 'maxParallelImagePulls', 'mergeDefaultEvictionSettings', 'podsPerCore',
  'enableControllerAttachDetach', 'protectKernelDefaults', 'makeIPTablesUtilChains', 'iptablesMasqueradeBit', 'iptablesDropBit', 'featureGates', 'failSwapOn',
  'memorySwap', 'containerLogMaxSize', 'containerLogMaxFiles', 'containerLogMaxWorkers', 'containerLogMonitorInterval',
  'configMapAndSecretChangeDetectionStrategy', 'reservedSystemCPUs', 'showHiddenMetricsForVersion', 'systemReservedCgroup', 'kubeReservedCgroup',
  'volumePluginDir', 'providerID', 'kernelMemcgNotification', 'logging', 'enableSystemLogHandler', 'enableSystemLogQuery', 'shutdownGracePeriod',
  'shutdownGracePeriodCriticalPods', 'shutdownGracePeriodByPodPriority', 'crashLoopBackOff', 'reservedMemory', 'enableProfilingHandler',
  'enableDebugFlagsHandler', 'seccompDefault', 'memoryThrottlingFactor', 'memoryReservationPolicy', 'registerNode', 'tracing',
  'localStorageCapacityIsolation', 'containerRuntimeEndpoint', 'imageServiceEndpoint', 'failCgroupV1', 'userNamespaces',
]);

const TAINT_FIELDS = new Set(['key', 'value', 'effect', 'timeAdded']);

export interface KubeletConfigFile {
  /** Flag name -> the field's value in the flag's form, for the fields the file sets. */
  flags: Map<string, string>;
  /** registerWithTaints, when the file sets it. */
  registerWithTaints?: Taint[];
}

const GO_TYPES: Record<Kind, string> = { int: 'int32', int64: 'int64', string: 'string', duration: 'v1.Duration', map: 'map[string]string', list: '[]string' };

function typeError(field: string, kind: Kind, v: unknown): Error {
  const got = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v;
  return new Error(`failed to decode: json: cannot unmarshal ${got} into Go struct field KubeletConfiguration.${field} of type ${GO_TYPES[kind]}`);
}

function flagValue(field: string, flag: string, kind: Kind, v: unknown): string {
  switch (kind) {
    case 'int':
    case 'int64':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(field, kind, v);
      return String(v);
    case 'string':
    case 'duration':
      if (typeof v !== 'string') throw typeError(field, kind, v);
      return v;
    case 'list':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw typeError(field, kind, v);
      return v.join(',');
    case 'map': {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw typeError(field, kind, v);
      const sep = MAP_SEP[flag] ?? '=';
      return Object.entries(v as Record<string, string>).map(([k, x]) => `${k}${sep}${x}`).join(',');
    }
  }
}

function taintsOf(v: unknown): Taint[] {
  if (!Array.isArray(v)) throw new Error(`failed to decode: json: cannot unmarshal ${typeof v} into Go struct field KubeletConfiguration.registerWithTaints of type []v1.Taint`);
  const unknown: string[] = [];
  const taints = v.map((t, i) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new Error(`failed to decode: json: cannot unmarshal ${Array.isArray(t) ? 'array' : typeof t} into Go struct field KubeletConfiguration.registerWithTaints of type v1.Taint`);
    for (const k of Object.keys(t)) if (!TAINT_FIELDS.has(k)) unknown.push(`unknown field "registerWithTaints[${i}].${k}"`);
    return t as Taint;
  });
  if (unknown.length) throw new Error(`strict decoding error: ${unknown.join(', ')}`);
  const errs = registerWithTaintsErrors(taints);
  if (errs.length) throw new Error(`failed to validate kubelet configuration, error: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`);
  return taints;
}

/** Decodes a KubeletConfiguration file's text; throws on anything the agent would not honour. */
export function parseKubeletConfig(text: string): KubeletConfigFile {
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true });
  } catch (err) {
    throw new Error(`failed to decode: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('failed to decode: Object \'Kind\' is missing in the configuration');
  const cfg = doc as Record<string, unknown>;
  if (!cfg.kind) throw new Error(`failed to decode: Object 'Kind' is missing in '${JSON.stringify(cfg)}'`);
  if (cfg.apiVersion !== KUBELET_CONFIG_API_VERSION || cfg.kind !== 'KubeletConfiguration') {
    throw new Error(`failed to decode: no kind "${String(cfg.kind)}" is registered for version "${String(cfg.apiVersion ?? '')}"`);
  }
  const unknown = Object.keys(cfg).filter((k) => k !== 'apiVersion' && k !== 'kind' && k !== 'registerWithTaints' && !FIELDS[k] && !NOT_IMPLEMENTED.has(k));
  if (unknown.length) throw new Error(`strict decoding error: ${unknown.map((k) => `unknown field "${k}"`).join(', ')}`);
  const refused = Object.keys(cfg).filter((k) => NOT_IMPLEMENTED.has(k));
  if (refused.length) {
    throw new Error(`KubeletConfiguration field${refused.length > 1 ? 's' : ''} ${refused.map((k) => `"${k}"`).join(', ')} not implemented by portcullis agent: remove ${refused.length > 1 ? 'them' : 'it'} (a setting accepted and not honoured would be worse)`);
  }
  const flags = new Map<string, string>();
  for (const [field, { flag, kind }] of Object.entries(FIELDS)) {
    // A null field is Go's zero value: as if absent.
    if (cfg[field] === undefined || cfg[field] === null || (ZERO_IS_DEFAULT.has(field) && isZero(kind, cfg[field]))) continue;
    flags.set(flag, flagValue(field, flag, kind, cfg[field]));
  }
  // v1beta1 SetDefaults: nodeStatusReportFrequency unset follows a nodeStatusUpdateFrequency the file sets.
  const update = flags.get('node-status-update-frequency');
  if (update !== undefined && !flags.has('node-status-report-frequency')) flags.set('node-status-report-frequency', update);
  if (Number(flags.get('node-lease-duration-seconds') ?? 1) <= 0) throw new Error('failed to validate kubelet configuration, error: invalid configuration: nodeLeaseDurationSeconds must be greater than 0');
  return { flags, ...(cfg.registerWithTaints != null ? { registerWithTaints: taintsOf(cfg.registerWithTaints) } : {}) };
}

/** The file's values under the command line's: a flag given on the command line wins (the kubelet's precedence). */
export function withKubeletConfig(commandLine: Map<string, string[]>, file: KubeletConfigFile): Map<string, string[]> {
  const out = new Map(commandLine);
  for (const [flag, value] of file.flags) if (!out.has(flag) && !ALIASES[flag]?.some((f) => commandLine.has(f))) out.set(flag, [value]);
  return out;
}

/** The agent's older flags that say what a field's flag says: given on the command line, they win over the field too. */
const ALIASES: Record<string, readonly string[]> = { 'cluster-dns': ['cluster-dns-address'] };
