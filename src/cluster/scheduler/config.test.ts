import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient } from '../client/fake.ts';
import { parseSchedulerConfig, profilesFromConfig } from './config.ts';
import { Framework } from './runtime.ts';

test('KubeSchedulerConfiguration: profiles from defaults with multiPoint and per-point changes, weights, args', () => {
  const [a, b] = profilesFromConfig(`
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      enabled:
      - name: NodeAffinity
        weight: 7
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
- schedulerName: no-scoring
  plugins:
    multiPoint:
      disabled:
      - name: '*'
      enabled:
      - name: NodeResourcesFit
      - name: DefaultBinder
`);
  const client = new FakeApiClient();
  const fa = new Framework(a!, { client, random: () => 0, now: () => 0 });
  assert.deepEqual(fa.scorers.map((s) => `${s.plugin.name}:${s.weight}`), ['TaintToleration:3', 'NodeAffinity:7', 'NodeResourcesFit:1', 'PodTopologySpread:2', 'InterPodAffinity:2']);
  assert.equal(a!.pluginConfig?.NodeResourcesFit?.scoringStrategy && (a!.pluginConfig.NodeResourcesFit.scoringStrategy as { type: string }).type, 'MostAllocated');
  const fb = new Framework(b!, { client, random: () => 0, now: () => 0 });
  assert.deepEqual(fb.filters.map((f) => f.name), ['NodeResourcesFit']);
  assert.deepEqual(fb.binders.map((f) => f.name), ['DefaultBinder']);
});

test('KubeSchedulerConfiguration: unknown plugin, kind, weight and duplicate names fail closed', () => {
  const head = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';
  assert.throws(() => profilesFromConfig('apiVersion: v1\nkind: ConfigMap\n'), /expected kubescheduler/);
  assert.throws(() => profilesFromConfig(`${head}profiles:\n- plugins:\n    multiPoint:\n      enabled:\n      - name: Nope\n`), /unknown plugin "Nope"/);
  assert.throws(() => profilesFromConfig(`${head}profiles:\n- plugins:\n    score:\n      enabled:\n      - name: NodeAffinity\n        weight: 0\n`), /weight of NodeAffinity/);
  assert.throws(() => profilesFromConfig(`${head}profiles:\n- schedulerName: x\n- schedulerName: x\n`), /duplicate profile x/);
  assert.equal(profilesFromConfig(head)[0]!.schedulerName, 'default-scheduler');
});

const HEAD = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';

test('KubeSchedulerConfiguration: unknown fields and fields we cannot honour are refused by name', () => {
  assert.throws(() => parseSchedulerConfig(`${HEAD}podMaxBackof: 3\n`), /strict decoding error: unknown field "podMaxBackof"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}leaderElection:\n  leaseDuraton: 15s\n`), /unknown field "leaderElection.leaseDuraton"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}profiles:\n- schedulerName: a\n  plugin: {}\n`), /unknown field "profiles\[0\].plugin"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}healthzBindAddress: 0.0.0.0:10251\n`), /unknown field "healthzBindAddress"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}profiles:\n- plugins:\n    score:\n      enabled:\n      - name: NodeAffinity\n        wieght: 3\n`), /unknown field "profiles\[0\].plugins.score.enabled\[0\].wieght"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}profiles:\n- plugins:\n    filter:\n      enable: []\n`), /unknown field "profiles\[0\].plugins.filter.enable"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}profiles:\n- pluginConfig:\n  - name: NodeAffinity\n    arg: {}\n`), /unknown field "profiles\[0\].pluginConfig\[0\].arg"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}extenders:\n- urlPrefix: http://127.0.0.1:8888\n  filterVerb: filter\n`), /extenders: Forbidden: scheduler extenders are not supported/);
  assert.equal(parseSchedulerConfig(`${HEAD}extenders: []\n`).profiles.length, 1);
  assert.throws(() => parseSchedulerConfig(`${HEAD}enableProfiling: true\n`), /enableProfiling: Forbidden: the scheduler serves no \/debug\/pprof/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}enableContentionProfiling: true\n`), /enableContentionProfiling: Forbidden/);
  assert.equal(parseSchedulerConfig(`${HEAD}enableProfiling: false\nenableContentionProfiling: false\n`).parallelism, 16);
  assert.throws(() => parseSchedulerConfig(`${HEAD}clientConnection:\n  acceptContentTypes: application/json\n`), /clientConnection.acceptContentTypes: Forbidden/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}clientConnection:\n  contentType: application/yaml\n`), /clientConnection.contentType: Invalid value: "application\/yaml"/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}percentageOfPlacementsToScore: 10\n`), /percentageOfPlacementsToScore: Forbidden/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}leaderElection:\n  resourceLock: endpointsleases\n`), /leaderElection.resourceLock: Invalid value: "endpointsleases": resourceLock value must be "leases"/);
});

test('KubeSchedulerConfiguration: upstream validation of parallelism, backoff, leader election, client connection, percentage', () => {
  assert.throws(() => parseSchedulerConfig(`${HEAD}parallelism: 0\n`), /parallelism: Invalid value: 0: should be an integer value greater than zero/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}podInitialBackoffSeconds: 0\n`), /podInitialBackoffSeconds: Invalid value: 0: must be greater than 0/);
  // The default max (10) is below an initial of 20: invalid, as upstream defaults before validating.
  assert.throws(() => parseSchedulerConfig(`${HEAD}podInitialBackoffSeconds: 20\n`), /podMaxBackoffSeconds: Invalid value: 10: must be greater than or equal to PodInitialBackoffSeconds/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}podInitialBackoffSeconds: 1.5\n`), /podInitialBackoffSeconds: Invalid value: 1.5: must be an integer/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}leaderElection:\n  leaseDuration: 10s\n  renewDeadline: 10s\n`), /LeaseDuration must be greater than RenewDeadline/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}leaderElection:\n  retryPeriod: 0s\n`), /leaderElection.retryPeriod: Invalid value: "0s": must be greater than zero/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}leaderElection:\n  retryPeriod: soon\n`), /leaderElection.retryPeriod: Invalid value: "soon": must be a duration/);
  // With leaderElect false upstream validates none of the timings.
  assert.equal(parseSchedulerConfig(`${HEAD}leaderElection:\n  leaderElect: false\n  retryPeriod: 0s\n`).leaderElection.leaderElect, false);
  assert.throws(() => parseSchedulerConfig(`${HEAD}clientConnection:\n  qps: 10\n  burst: -1\n`), /clientConnection.burst: Invalid value: -1: must be non-negative/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}clientConnection:\n  burst: 200\n`), /clientConnection.burst: Invalid value: 200: has no effect without clientConnection.qps/);
  assert.throws(() => parseSchedulerConfig(`${HEAD}percentageOfNodesToScore: 101\n`), /percentageOfNodesToScore: Invalid value: 101: not in valid range \[0-100\]/);
});

test('KubeSchedulerConfiguration: defaults, and the values the scheduler honours', () => {
  const d = parseSchedulerConfig(HEAD);
  assert.deepEqual(
    { parallelism: d.parallelism, initial: d.podInitialBackoffMs, max: d.podMaxBackoffMs, le: d.leaderElection, cc: d.clientConnection },
    { parallelism: 16, initial: 1000, max: 10_000, le: { leaderElect: true, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, resourceNamespace: 'kube-system', resourceName: 'kube-scheduler' }, cc: { kubeconfig: '' } },
  );
  const c = parseSchedulerConfig(`${HEAD}parallelism: 4
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 30
delayCacheUntilActive: true
leaderElection:
  leaderElect: true
  leaseDuration: 30s
  renewDeadline: 20s
  retryPeriod: 500ms
  resourceLock: leases
  resourceNamespace: sched
  resourceName: my-scheduler
clientConnection:
  kubeconfig: /etc/kubernetes/scheduler.conf
  contentType: application/vnd.kubernetes.protobuf
  qps: 25.5
percentageOfNodesToScore: 40
`);
  assert.deepEqual(
    { parallelism: c.parallelism, initial: c.podInitialBackoffMs, max: c.podMaxBackoffMs, le: c.leaderElection, cc: c.clientConnection, delay: c.delayCacheUntilActive, pct: c.profiles[0]!.percentageOfNodesToScore },
    { parallelism: 4, initial: 2000, max: 30_000, le: { leaderElect: true, leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500, resourceNamespace: 'sched', resourceName: 'my-scheduler' }, cc: { kubeconfig: '/etc/kubernetes/scheduler.conf', protobuf: true, qps: 25.5, burst: 100 }, delay: true, pct: 40 },
  );
  assert.equal(parseSchedulerConfig(`${HEAD}clientConnection:\n  qps: -1\n`).clientConnection.qps, undefined, 'qps < 0 turns limiting off, as client-go');
});
