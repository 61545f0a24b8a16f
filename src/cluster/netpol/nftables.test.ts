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

const goto = (lines: string[]) => /^goto (c_[0-9a-f]{16})$/.exec(lines.at(-1)!)![1]!;

test('pods whose policies compile alike share their chains; a pod chain only jumps and goes to them', () => {
  const r = renderNftables(model({ networkPolicies: [webOnly] }), pods, opts);
  const c = chains(r.script);
  const own = (p: PodInfo, dir: string) => c.get(`${podChainId(p)}_${dir}`)!;
  assert.deepEqual(own(pods[0]!, 'in'), own(pods[1]!, 'in'), 'a and b share their ingress chains');
  assert.notDeepEqual(own(pods[0]!, 'in'), own(pods[2]!, 'in'));
  assert.deepEqual(own(pods[0]!, 'out'), own(pods[2]!, 'out'), 'nobody has egress rules');
  const list = c.get(goto(own(pods[0]!, 'in')))!;
  assert.equal(list.at(-1), 'drop', 'a selected pod drops what no policy allows');
  assert.equal(list.length, 2);
  const policy = c.get(/^jump (c_[0-9a-f]{16})$/.exec(list[0]!)![1]!)!;
  assert.match(policy.join('\n'), /^ip saddr @a_[0-9a-f]{16} tcp dport \{ 80 \} accept comment "NetworkPolicy t1\/web ingress rule 0"$/);
  assert.deepEqual(c.get(goto(own(pods[2]!, 'in'))), ['accept'], 'c is not isolated');
  assert.match(r.script, /chain egress \{\n {4}type filter hook forward priority filter - 1;/, 'egress is checked first, in its own base chain');
  assert.match(r.script, /chain ingress \{\n {4}type filter hook forward priority filter;/);
  assert.equal(r.chains.length, 3, 'the policy, the list of a and b, and the open baseline');
  assert.equal(r.ruleCount, 1, 'the shared rule counts once');
});

test('a partial render sends only the chains the table lacks and rewrites only the pods that change', () => {
  const before = renderNftables(model({}), pods, opts);
  assert.equal(before.chains.length, 1, 'no policies: every direction of every pod accepts');
  const known = { knownSets: new Set(before.sets), knownChains: new Set(before.chains), knownPodChains: before.podChains };
  const after = model({ networkPolicies: [webOnly] });
  const r = renderPodUpdates(after, after.selectedBy(webOnly), { ...opts, ...known });
  assert.equal((r.script.match(/^add chain inet portcullis_netpol c_/gm) ?? []).length, 2, 'the policy and the list of a and b, once for both pods');
  assert.equal((r.script.match(/^add set /gm) ?? []).length, 1, 'the peer set of db pods');
  assert.equal((r.script.match(/^flush chain /gm) ?? []).length, 2, 'the ingress chains of a and b; their egress stays');
  assert.doesNotMatch(r.script, new RegExp(podChainId(pods[2]!)), 'c is not touched');
  // The same change again, with the table now known, is nothing to send.
  const table = { knownSets: new Set(r.sets), knownChains: new Set([...before.chains, ...r.chains]), knownPodChains: new Map([...before.podChains, ...r.podChains]) };
  assert.equal(renderPodUpdates(after, after.selectedBy(webOnly), { ...opts, ...table }).script.trim(), '');
  // A second policy for a and b: its own chain and a new list; the first policy's rules are not sent again.
  const web8080: Json = { metadata: { name: 'web-8080', namespace: 't1' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 8080 }] }] } };
  const both = model({ networkPolicies: [webOnly, web8080] });
  const second = renderPodUpdates(both, both.selectedBy(web8080), { ...opts, ...table });
  assert.doesNotMatch(second.script, /NetworkPolicy t1\/web ingress/);
  assert.match(second.script, /^add rule inet portcullis_netpol c_[0-9a-f]{16} tcp dport \{ 8080 \} accept comment "NetworkPolicy t1\/web-8080 ingress rule 0"$/m);
  assert.match(second.script, /^add rule inet portcullis_netpol (c_[0-9a-f]{16}) jump c_[0-9a-f]{16}\nadd rule inet portcullis_netpol \1 jump c_[0-9a-f]{16}\nadd rule inet portcullis_netpol \1 drop$/m);
  // Without a record of the table, every chain is flushed before it is filled.
  const blind = renderPodUpdates(after, after.selectedBy(webOnly), opts);
  assert.equal((blind.script.match(/^flush chain inet portcullis_netpol c_/gm) ?? []).length, 3);
});

test('AdminNetworkPolicy rules come first; Pass returns to the NetworkPolicy layer, whose end drops', () => {
  const anp: Json = { metadata: { name: 'pass-db' }, spec: { priority: 5, subject: { namespaces: {} }, ingress: [{ name: 'p', action: 'Pass', from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } } }] }, { name: 'd', action: 'Deny', from: [{ namespaces: {} }], ports: [{ portNumber: { port: 22, protocol: 'TCP' } }] }] } };
  const r = renderNftables(model({ networkPolicies: [webOnly], adminNetworkPolicies: [anp] }), pods, opts);
  const c = chains(r.script);
  const own = c.get(`${podChainId(pods[0]!)}_in`)!;
  assert.equal(own.length, 2);
  const admin = c.get(/^jump (c_[0-9a-f]{16})$/.exec(own[0]!)![1]!)!;
  assert.match(admin[0]!, /^ip saddr @a_[0-9a-f]{16} return comment "AdminNetworkPolicy pass-db ingress rule p"$/);
  assert.match(admin[1]!, /tcp dport \{ 22 \} drop comment "AdminNetworkPolicy pass-db ingress rule d"$/);
  assert.equal(c.get(goto(own))!.at(-1), 'drop', 'then the NetworkPolicy layer');
  assert.equal(c.get(goto(c.get(`${podChainId(pods[2]!)}_in`)!))!.at(-1), 'accept', 'c, selected by no NetworkPolicy, goes on to the (empty) baseline');
});

test('a packet finds its pod chain in one verdict map per direction; an address two local pods claim is refused', () => {
  const r = renderNftables(model({}), [...pods, pod('stale', '10.244.0.10', { app: 'old' })], opts);
  assert.match(r.script, /chain egress \{[^}]*ip saddr vmap @egress_pods\n/);
  assert.match(r.script, /chain ingress \{[^}]*ip daddr vmap @ingress_pods\n/);
  assert.match(r.script, new RegExp(`map ingress_pods \\{[^}]*10\\.244\\.0\\.11 comment "t1/b" : jump ${podChainId(pods[1]!)}_in`));
  assert.match(r.script, /map egress_pods \{[^}]*10\.244\.0\.10 comment "t1\/a t1\/stale" : drop/);
});
