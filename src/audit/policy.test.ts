import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from './policy.ts';

test('a v1 Policy in YAML is read with its rules, stages and omitManagedFields', () => {
  const p = parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
omitManagedFields: true
rules:
- level: None
  users: ["system:kube-proxy"]
  verbs: [watch]
  resources:
  - group: ""
    resources: [endpoints, services, "pods/log", "*/status"]
    resourceNames: [a]
- level: Metadata
  nonResourceURLs: ["/healthz*", "/version"]
- level: RequestResponse
  omitStages: [ResponseStarted]
  omitManagedFields: false
`);
  assert.equal(p.rules.length, 3);
  assert.deepEqual(p.omitStages, ['RequestReceived']);
  assert.equal(p.omitManagedFields, true);
  assert.deepEqual(p.rules[0]!.resources, [{ group: '', resources: ['endpoints', 'services', 'pods/log', '*/status'], resourceNames: ['a'] }]);
  assert.equal(p.rules[2]!.omitManagedFields, false);
});

test('JSON is accepted too', () => {
  const p = parsePolicy(JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] }));
  assert.equal(p.rules[0]!.level, 'Metadata');
});

const refused: Array<[string, string, RegExp]> = [
  ['v1beta1', 'apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: [{level: Metadata}]', /unknown group version/],
  ['wrong kind', 'apiVersion: audit.k8s.io/v1\nkind: Pod\nrules: [{level: Metadata}]', /unknown group version/],
  ['no rules', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []', /loaded illegal policy with 0 rules/],
  ['missing level', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{verbs: [get]}]', /rules\[0\]\.level: Required value/],
  ['bad level', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Everything}]', /rules\[0\]\.level: Unsupported value: "Everything"/],
  ['bad stage', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Done]\nrules: [{level: Metadata}]', /omitStages\[0\]: Unsupported value: "Done"/],
  ['url without slash', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, nonResourceURLs: [healthz]}]', /must begin with a '\/' character/],
  ['wildcard not last', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, nonResourceURLs: ["/a*/b"]}]', /must be the final character/],
  ['both kinds', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, nonResourceURLs: ["/a"], namespaces: [x]}]', /cannot apply to both regular resources and non-resource URLs/],
  ['names without resources', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, resources: [{group: "", resourceNames: [x]}]}]', /using resourceNames requires at least one resource/],
  ['bad group', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, resources: [{group: "Apps"}]}]', /group: Invalid value: "Apps"/],
  ['unknown field', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, omitStage: [Panic]}]', /rules\[0\]\.omitStage: unknown field/],
  ['not yaml', 'apiVersion: [', /failed decoding/],
];
for (const [name, text, re] of refused) {
  test(`refused: ${name}`, () => assert.throws(() => parsePolicy(text), re));
}
