import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyModel } from './compile.ts';
import { podChainId, renderNftables, renderPodUpdates } from './nftables.ts';
import type { NamespaceInfo, PodInfo, PolicyInput } from './types.ts';

type Json = Record<string, unknown>;
const pod = (name: string, ip: string, labels: Record<string, string>): PodInfo => ({ key: `t1/${name}`, namespace: 't1', name, labels, ports: [], owner: { kind: 'Pod', name }, ips: [ip] });
const pods = [pod('a', '10.244.0.10', { app: 'web' }), pod('b', '10.244.0.11', { app: 'web' }), pod('c', '10.244.0.12', { app: 'db' })];
const namespaces = new Map<string, NamespaceInfo>([['t1', { name: 't1', labels: { 'kubernetes.io/metadata.name': 't1' } }]]);
const webOnly: Json = { metadata: { name: 'web', namespace: 't1' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 80 }] }] } };
const model = (policies: Partial<PolicyInput>) => new PolicyModel({ pods, namespaces, policies: { networkPolicies: [], adminNetworkPolicies: [], ...policies } });
const opts = { podNetworks: ['10.244.0.0/16'], allPods: pods };

/** chain name -> its rule lines, from a full render's table block */
function chains(script: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of script.matchAll(/^ {2}chain (\S+) \{\n((?: {4}.*\n)*) {2}\}/gm)) out.set(m[1]!, m[2]!.trim().split('\n').map((l) => l.trim()));
  return out;
}

test('pods whose policy compiles alike share one rule chain; each pod chain holds one goto', () => {
  const r = renderNftables(model({ networkPolicies: [webOnly] }), pods, opts);
  const c = chains(r.script);
  const target = (p: PodInfo, dir: string) => /^goto (c_[0-9a-f]{16})$/.exec(c.get(`${podChainId(p)}_${dir}`)![0]!)![1]!;
  assert.equal(target(pods[0]!, 'in'), target(pods[1]!, 'in'), 'a and b share their ingress rules');
  assert.notEqual(target(pods[0]!, 'in'), target(pods[2]!, 'in'));
  assert.equal(target(pods[0]!, 'out'), target(pods[2]!, 'out'), 'nobody has egress rules');
  assert.match(c.get(target(pods[0]!, 'in'))!.join('\n'), /^ip saddr @a_[0-9a-f]{16} tcp dport \{ 80 \} return comment "NetworkPolicy t1\/web ingress rule 0"\ndrop$/);
  assert.deepEqual(c.get(target(pods[2]!, 'in')), ['return'], 'c is not isolated');
  assert.equal(r.chains.length, 2);
  assert.equal(r.ruleCount, 1, 'the shared rule counts once');
});

test('a partial render sends only the chains the table lacks and re-points only the pods that change', () => {
  const before = renderNftables(model({}), pods, opts);
  assert.equal(before.chains.length, 1, 'no policies: every direction of every pod returns');
  const known = { knownSets: new Set(before.sets), knownChains: new Set(before.chains), knownPodChains: before.podChains };
  const after = model({ networkPolicies: [webOnly] });
  const r = renderPodUpdates(after, after.selectedBy(webOnly), { ...opts, ...known });
  assert.equal((r.script.match(/^add chain inet portcullis_netpol c_/gm) ?? []).length, 1, 'one new rule chain for a and b together');
  assert.equal((r.script.match(/^add set /gm) ?? []).length, 1, 'the peer set of db pods');
  assert.equal((r.script.match(/^flush chain /gm) ?? []).length, 2, 'the ingress chains of a and b; their egress stays');
  assert.doesNotMatch(r.script, new RegExp(podChainId(pods[2]!)), 'c is not touched');
  // The same change again, with the table now known, is nothing to send.
  const again = renderPodUpdates(after, after.selectedBy(webOnly), { ...opts, knownSets: new Set(r.sets), knownChains: new Set([...before.chains, ...r.chains]), knownPodChains: new Map([...before.podChains, ...r.podChains]) });
  assert.equal(again.script.trim(), '');
  // Without a record of the table, every chain is flushed before it is filled.
  const blind = renderPodUpdates(after, after.selectedBy(webOnly), opts);
  assert.equal((blind.script.match(/^flush chain inet portcullis_netpol c_/gm) ?? []).length, 2);
});

test('AdminNetworkPolicy rules come first; Pass goes on to the NetworkPolicy layer, whose end drops', () => {
  const anp: Json = { metadata: { name: 'pass-db' }, spec: { priority: 5, subject: { namespaces: {} }, ingress: [{ name: 'p', action: 'Pass', from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } } }] }, { name: 'd', action: 'Deny', from: [{ namespaces: {} }], ports: [{ portNumber: { port: 22, protocol: 'TCP' } }] }] } };
  const r = renderNftables(model({ networkPolicies: [webOnly], adminNetworkPolicies: [anp] }), pods, opts);
  const c = chains(r.script);
  const admin = c.get(c.get(`${podChainId(pods[0]!)}_in`)![0]!.slice('goto '.length))!;
  const np = /goto (c_[0-9a-f]{16})$/.exec(admin.at(-1)!)![1]!;
  assert.match(admin[0]!, new RegExp(`^ip saddr @a_[0-9a-f]{16} goto ${np} comment "AdminNetworkPolicy pass-db ingress rule p"$`));
  assert.match(admin[1]!, /tcp dport \{ 22 \} drop comment "AdminNetworkPolicy pass-db ingress rule d"$/);
  assert.equal(c.get(np)!.at(-1), 'drop', 'a selected pod drops what its NetworkPolicies do not allow');
});
