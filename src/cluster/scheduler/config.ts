/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): profiles and the top-level
 * settings, read strictly as upstream's decoder does (an unknown field is an error) and validated
 * with upstream's defaults and messages (pkg/scheduler/apis/config/v1/defaults.go,
 * validation/validation.go). A field we cannot honour (extenders, the profiling endpoints, a lock
 * other than leases, acceptContentTypes) is refused by name: a setting accepted and then ignored
 * (a policy extender above all) would be worse than a scheduler that does not start.
 *
 * Profiles: each starts from the default plugins, as upstream merges: multiPoint.disabled (with
 * "*" for all) removes defaults, multiPoint.enabled adds plugins (and weights), <point>.disabled
 * leaves a plugin out at that point, score.enabled sets weights; pluginConfig passes args by
 * plugin name. Unknown plugins, kinds or versions are errors.
 */
import { parse } from 'yaml';
import { parseDurationMs } from '../../util/duration.ts';
import { defaultProfile, validateProfile, type ExtensionPoint, type Profile } from './profile.ts';

interface PluginRef { name: string; weight?: number }
interface PluginSet { enabled?: PluginRef[]; disabled?: PluginRef[] }

const POINTS: Record<string, ExtensionPoint> = { preFilter: 'preFilter', filter: 'filter', postFilter: 'postFilter', score: 'score', reserve: 'reserve', preBind: 'preBind', bind: 'bind' };

export interface SchedulerLeaderElection {
  leaderElect: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  resourceNamespace: string;
  resourceName: string;
}

export interface SchedulerClientConnection {
  /** The kubeconfig to use when --kubeconfig is not given ('' = none). */
  kubeconfig: string;
  /** application/vnd.kubernetes.protobuf; undefined when contentType is not set (the client's default). */
  protobuf?: boolean;
  /** A token bucket on the scheduler's requests; undefined = unlimited (our default, unlike upstream's 50/100). */
  qps?: number;
  burst?: number;
}

export interface SchedulerConfig {
  profiles: Profile[];
  /** Validated as upstream (> 0); filtering and scoring here run on one thread, so it changes nothing. */
  parallelism: number;
  podInitialBackoffMs: number;
  podMaxBackoffMs: number;
  leaderElection: SchedulerLeaderElection;
  clientConnection: SchedulerClientConnection;
  /** Accepted either way: our informers start only on becoming leader, which is what true asks for. */
  delayCacheUntilActive: boolean;
}

const TOP = new Set(['apiVersion', 'kind', 'parallelism', 'leaderElection', 'clientConnection', 'enableProfiling', 'enableContentionProfiling', 'percentageOfNodesToScore', 'percentageOfPlacementsToScore', 'podInitialBackoffSeconds', 'podMaxBackoffSeconds', 'profiles', 'extenders', 'delayCacheUntilActive']);
const LEADER = new Set(['leaderElect', 'leaseDuration', 'renewDeadline', 'retryPeriod', 'resourceLock', 'resourceName', 'resourceNamespace']);
const CONNECTION = new Set(['kubeconfig', 'acceptContentTypes', 'contentType', 'qps', 'burst']);
const PROFILE = new Set(['schedulerName', 'percentageOfNodesToScore', 'percentageOfPlacementsToScore', 'plugins', 'pluginConfig']);
const PLUGIN_SET = new Set(['enabled', 'disabled']);
const PLUGIN = new Set(['name', 'weight']);
const PLUGIN_CONFIG = new Set(['name', 'args']);
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

const fail = (msg: string) => new Error(`scheduler config: ${msg}`);
const invalid = (path: string, value: unknown, msg: string) => fail(`${path}: Invalid value: ${JSON.stringify(value)}: ${msg}`);
const forbidden = (path: string, msg: string) => fail(`${path}: Forbidden: ${msg}`);

function strict(obj: unknown, known: ReadonlySet<string>, path: string): Record<string, any> {
  if (obj === undefined || obj === null) return {};
  if (typeof obj !== 'object' || Array.isArray(obj)) throw invalid(path || '<root>', obj, 'must be an object');
  for (const k of Object.keys(obj)) if (!known.has(k)) throw fail(`strict decoding error: unknown field "${path ? `${path}.` : ''}${k}"`);
  return obj as Record<string, any>;
}

function int(v: unknown, path: string, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(path, v, 'must be an integer');
  return v;
}

function duration(v: unknown, path: string, defMs: number): number {
  if (v === undefined || v === null) return defMs;
  try {
    if (typeof v !== 'string') throw new Error('not a string');
    return parseDurationMs(v);
  } catch {
    throw invalid(path, v, 'must be a duration such as "15s"');
  }
}

function leaderElectionOf(raw: unknown): SchedulerLeaderElection {
  const le = strict(raw, LEADER, 'leaderElection');
  if (le.leaderElect !== undefined && typeof le.leaderElect !== 'boolean') throw invalid('leaderElection.leaderElect', le.leaderElect, 'must be a boolean');
  const out: SchedulerLeaderElection = {
    leaderElect: le.leaderElect ?? true,
    leaseDurationMs: duration(le.leaseDuration, 'leaderElection.leaseDuration', 15_000),
    renewDeadlineMs: duration(le.renewDeadline, 'leaderElection.renewDeadline', 10_000),
    retryPeriodMs: duration(le.retryPeriod, 'leaderElection.retryPeriod', 2_000),
    resourceNamespace: le.resourceNamespace || 'kube-system',
    resourceName: le.resourceName || 'kube-scheduler',
  };
  if (!out.leaderElect) return out;
  // component-base ValidateLeaderElectionConfiguration, then the scheduler's leases-only rule.
  for (const [f, ms] of [['leaseDuration', out.leaseDurationMs], ['renewDeadline', out.renewDeadlineMs], ['retryPeriod', out.retryPeriodMs]] as const) {
    if (ms <= 0) throw invalid(`leaderElection.${f}`, le[f], 'must be greater than zero');
  }
  if (out.leaseDurationMs <= out.renewDeadlineMs) throw invalid('leaderElection.leaseDuration', le.leaseDuration ?? '15s', 'LeaseDuration must be greater than RenewDeadline');
  if ((le.resourceLock ?? 'leases') !== 'leases') throw invalid('leaderElection.resourceLock', le.resourceLock, 'resourceLock value must be "leases"');
  return out;
}

function clientConnectionOf(raw: unknown): SchedulerClientConnection {
  const cc = strict(raw, CONNECTION, 'clientConnection');
  const out: SchedulerClientConnection = { kubeconfig: typeof cc.kubeconfig === 'string' ? cc.kubeconfig : '' };
  if (cc.kubeconfig !== undefined && typeof cc.kubeconfig !== 'string') throw invalid('clientConnection.kubeconfig', cc.kubeconfig, 'must be a string');
  if (cc.acceptContentTypes) throw forbidden('clientConnection.acceptContentTypes', 'not supported: the client accepts what contentType asks for');
  if (cc.contentType) {
    if (cc.contentType !== PROTOBUF && cc.contentType !== 'application/json') throw invalid('clientConnection.contentType', cc.contentType, `must be "${PROTOBUF}" or "application/json"`);
    out.protobuf = cc.contentType === PROTOBUF;
  }
  const burst = int(cc.burst, 'clientConnection.burst', 0);
  if (burst < 0) throw invalid('clientConnection.burst', burst, 'must be non-negative');
  if (cc.qps !== undefined && typeof cc.qps !== 'number') throw invalid('clientConnection.qps', cc.qps, 'must be a number');
  // As client-go: qps < 0 turns limiting off, burst 0 takes the default (100). Unlike upstream,
  // qps 0 or unset is unlimited too: upstream's 50 would throttle our binds (see README).
  if (typeof cc.qps === 'number' && cc.qps > 0) {
    out.qps = cc.qps;
    out.burst = burst || 100;
  } else if (burst > 0) {
    throw invalid('clientConnection.burst', burst, 'has no effect without clientConnection.qps greater than 0 (the scheduler is not rate-limited unless qps is set)');
  }
  return out;
}

function percentage(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = int(v, path, 0);
  if (n < 0 || n > 100) throw invalid(path, n, 'not in valid range [0-100]');
  return n;
}

/** Reads and validates a whole KubeSchedulerConfiguration file; throws on anything it would not honour. */
export function parseSchedulerConfig(text: string): SchedulerConfig {
  const cfg = parse(text) as Record<string, any> | null;
  if (!cfg || typeof cfg !== 'object') throw fail('not an object');
  if (cfg.apiVersion !== 'kubescheduler.config.k8s.io/v1' || cfg.kind !== 'KubeSchedulerConfiguration') {
    throw fail(`expected kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration, got ${cfg.apiVersion}/${cfg.kind}`);
  }
  strict(cfg, TOP, '');
  if (Array.isArray(cfg.extenders) ? cfg.extenders.length > 0 : cfg.extenders != null) {
    throw forbidden('extenders', 'scheduler extenders are not supported; remove them (an extender skipped would let pods through that it would have filtered out)');
  }
  for (const f of ['enableProfiling', 'enableContentionProfiling'] as const) {
    if (cfg[f] !== undefined && typeof cfg[f] !== 'boolean') throw invalid(f, cfg[f], 'must be a boolean');
    if (cfg[f] === true) throw forbidden(f, 'the scheduler serves no /debug/pprof endpoints; set it to false or leave it out');
  }
  if (cfg.percentageOfPlacementsToScore != null) throw forbidden('percentageOfPlacementsToScore', 'workload (pod group) scheduling is not supported');
  if (cfg.delayCacheUntilActive !== undefined && typeof cfg.delayCacheUntilActive !== 'boolean') throw invalid('delayCacheUntilActive', cfg.delayCacheUntilActive, 'must be a boolean');
  const parallelism = int(cfg.parallelism, 'parallelism', 16);
  if (parallelism <= 0) throw invalid('parallelism', parallelism, 'should be an integer value greater than zero');
  const initial = int(cfg.podInitialBackoffSeconds, 'podInitialBackoffSeconds', 1);
  const max = int(cfg.podMaxBackoffSeconds, 'podMaxBackoffSeconds', 10);
  if (initial <= 0) throw invalid('podInitialBackoffSeconds', initial, 'must be greater than 0');
  if (max < initial) throw invalid('podMaxBackoffSeconds', max, 'must be greater than or equal to PodInitialBackoffSeconds');
  return {
    profiles: profilesOf(cfg),
    parallelism,
    podInitialBackoffMs: initial * 1000,
    podMaxBackoffMs: max * 1000,
    leaderElection: leaderElectionOf(cfg.leaderElection),
    clientConnection: clientConnectionOf(cfg.clientConnection),
    delayCacheUntilActive: cfg.delayCacheUntilActive ?? false,
  };
}

export function profilesFromConfig(text: string): Profile[] {
  return parseSchedulerConfig(text).profiles;
}

function profilesOf(cfg: Record<string, any>): Profile[] {
  const global = percentage(cfg.percentageOfNodesToScore, 'percentageOfNodesToScore');
  const raw: any[] = Array.isArray(cfg.profiles) && cfg.profiles.length > 0 ? cfg.profiles : [{}];
  const seen = new Set<string>();
  return raw.map((rawProfile, i) => {
    const rp = strict(rawProfile, PROFILE, `profiles[${i}]`);
    if (rp.percentageOfPlacementsToScore != null) throw forbidden(`profiles[${i}].percentageOfPlacementsToScore`, 'workload (pod group) scheduling is not supported');
    const p = defaultProfile(rp.schedulerName ?? 'default-scheduler');
    if (seen.has(p.schedulerName)) throw fail(`duplicate profile ${p.schedulerName}`);
    seen.add(p.schedulerName);
    const own = percentage(rp.percentageOfNodesToScore, `profiles[${i}].percentageOfNodesToScore`);
    if (global !== undefined) p.percentageOfNodesToScore = global;
    if (own !== undefined) p.percentageOfNodesToScore = own;
    const plugins: Record<string, PluginSet> = rp.plugins ?? {};
    for (const [point, set] of Object.entries(plugins)) {
      const at = `profiles[${i}].plugins.${point}`;
      const ps = strict(set, PLUGIN_SET, at);
      for (const k of ['enabled', 'disabled'] as const) {
        if (ps[k] !== undefined && !Array.isArray(ps[k])) throw invalid(`${at}.${k}`, ps[k], 'must be a list');
        (ps[k] ?? []).forEach((e: unknown, j: number) => strict(e, PLUGIN, `${at}.${k}[${j}]`));
      }
    }
    if (rp.pluginConfig !== undefined && !Array.isArray(rp.pluginConfig)) throw invalid(`profiles[${i}].pluginConfig`, rp.pluginConfig, 'must be a list');
    (rp.pluginConfig ?? []).forEach((pc: unknown, j: number) => strict(pc, PLUGIN_CONFIG, `profiles[${i}].pluginConfig[${j}]`));
    const multi = plugins.multiPoint ?? {};
    const disabledAll = (multi.disabled ?? []).some((d) => d.name === '*');
    const disabled = new Set((multi.disabled ?? []).map((d) => d.name));
    if (disabledAll) p.plugins = [];
    else p.plugins = p.plugins.filter((n) => !disabled.has(n));
    for (const e of multi.enabled ?? []) {
      if (!p.plugins.includes(e.name)) p.plugins.push(e.name);
      if (e.weight !== undefined) p.weights[e.name] = e.weight;
    }
    for (const [point, set] of Object.entries(plugins)) {
      if (point === 'multiPoint') continue;
      const ep = POINTS[point];
      if (!ep) throw fail(`extension point ${JSON.stringify(point)} is not supported`);
      for (const d of set.disabled ?? []) {
        if (d.name === '*') (p.disabled ??= {})[ep] = [...p.plugins];
        else ((p.disabled ??= {})[ep] ??= []).push(d.name);
      }
      for (const e of set.enabled ?? []) {
        if (!p.plugins.includes(e.name)) p.plugins.push(e.name);
        const list = p.disabled?.[ep];
        if (list) p.disabled![ep] = list.filter((n) => n !== e.name);
        if (ep === 'score' && e.weight !== undefined) p.weights[e.name] = e.weight;
      }
    }
    for (const pc of rp.pluginConfig ?? []) (p.pluginConfig ??= {})[pc.name] = pc.args ?? {};
    validateProfile(p);
    return p;
  });
}
