import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient } from '../client/fake.ts';
import { profilesFromConfig } from './config.ts';
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
