import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults/index.ts';
import { errorString } from './field-errors.ts';
import { validateObject, type GVK } from './index.ts';

const POD_GVK: GVK = { group: '', version: 'v1', kind: 'Pod' };
const DEPLOY_GVK: GVK = { group: 'apps', version: 'v1', kind: 'Deployment' };
const SVC_GVK: GVK = { group: '', version: 'v1', kind: 'Service' };

type Obj = Record<string, any>;

/** Defaults then validates, as the request pipeline does; returns "field: message" strings. */
function check(gvk: GVK, obj: Obj, old?: Obj): string[] {
  applyDefaults(gvk, obj);
  if (old) applyDefaults(gvk, old);
  return validateObject(gvk, obj, old).map(errorString);
}

const pod = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
});

const deployment = (): Obj => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
  },
});

const service = (): Obj => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
});

function edit<T extends Obj>(base: () => T, f: (o: T) => void): T {
  const o = base();
  f(o);
  return o;
}

describe('Pod', () => {
  test('pods/status checks metadata, not the spec (upstream ValidatePodStatusUpdate)', () => {
    const old = edit(pod, (p) => {
      p.spec.containers[0].name = 'Not_A_Label';
      p.metadata.resourceVersion = '7';
    });
    applyDefaults(POD_GVK, old);
    const next: Obj = { ...structuredClone(old), status: { phase: 'Running' } };
    assert.deepEqual(validateObject(POD_GVK, next, old, 'status').map(errorString), []);
    assert.ok(validateObject(POD_GVK, next, old).map(errorString).some((e) => e.startsWith('spec.containers[0].name')));
    const renamed = { ...structuredClone(next), metadata: { ...next.metadata, name: 'other' } };
    assert.ok(validateObject(POD_GVK, renamed, old, 'status').map(errorString).some((e) => e.startsWith('metadata.name')));
  });

  const cases: [string, Obj, string[]][] = [
    ['valid', pod(), []],
    ['no containers', edit(pod, (p) => (p.spec.containers = [])), ['spec.containers: Required value']],
    ['image required', edit(pod, (p) => delete p.spec.containers[0].image), ['spec.containers[0].image: Required value']],
    [
      'duplicate container names',
      edit(pod, (p) => p.spec.containers.push({ name: 'app', image: 'busybox' })),
      ['spec.containers[1].name: Duplicate value: "app"'],
    ],
    [
      'container name must be a DNS label',
      edit(pod, (p) => (p.spec.containers[0].name = 'App_1')),
      [
        "spec.containers[0].name: Invalid value: \"App_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [
      'port range',
      edit(pod, (p) => (p.spec.containers[0].ports = [{ containerPort: 70000 }])),
      ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ],
    [
      'port protocol',
      edit(pod, (p) => (p.spec.containers[0].ports = [{ containerPort: 80, protocol: 'ICMP' }])),
      ['spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    [
      'restartPolicy',
      edit(pod, (p) => (p.spec.restartPolicy = 'Sometimes')),
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'mount of unknown volume',
      edit(pod, (p) => (p.spec.containers[0].volumeMounts = [{ name: 'nope', mountPath: '/x' }])),
      ['spec.containers[0].volumeMounts[0].name: Not found: "nope"'],
    ],
    [
      'duplicate volumes',
      edit(pod, (p) => p.spec.volumes.push({ name: 'data', emptyDir: {} })),
      ['spec.volumes[1].name: Duplicate value: "data"'],
    ],
    [
      'requests above limits',
      edit(pod, (p) => (p.spec.containers[0].resources = { requests: { cpu: '2' }, limits: { cpu: '1500m' } })),
      ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1500m'],
    ],
    [
      'requests equal to limits in different units are fine',
      edit(pod, (p) => (p.spec.containers[0].resources = { requests: { memory: '1Gi' }, limits: { memory: '1073741824' } })),
      [],
    ],
    [
      'namespace required',
      edit(pod, (p) => delete p.metadata.namespace),
      ['metadata.namespace: Required value'],
    ],
    [
      'liveness probe success threshold',
      edit(pod, (p) => (p.spec.containers[0].livenessProbe = { tcpSocket: { port: 80 }, successThreshold: 2 })),
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
    [
      'probe needs a handler',
      edit(pod, (p) => (p.spec.containers[0].readinessProbe = {})),
      ['spec.containers[0].readinessProbe: Required value: must specify a handler type'],
    ],
  ];
  for (const [name, obj, want] of cases) test(name, () => assert.deepEqual(check(POD_GVK, obj), want));

  describe('update', () => {
    const stored = (): Obj => {
      const p = pod();
      p.metadata.resourceVersion = '3';
      p.metadata.uid = 'u1';
      return p;
    };
    test('image and activeDeadlineSeconds may change', () => {
      const next = edit(stored, (p) => {
        p.spec.containers[0].image = 'nginx:1.26';
        p.spec.activeDeadlineSeconds = 100;
      });
      assert.deepEqual(check(POD_GVK, next, stored()), []);
    });
    test('tolerations may be added', () => {
      const next = edit(stored, (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }]));
      assert.deepEqual(check(POD_GVK, next, stored()), []);
    });
    test('other spec changes are forbidden', () => {
      const next = edit(stored, (p) => (p.spec.containers[0].ports[0].containerPort = 81));
      const errs = check(POD_GVK, next, stored());
      assert.equal(errs.length, 1);
      assert.ok(
        errs[0]?.startsWith(
          'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
        ),
        errs[0],
      );
    });
    test('containers may not be added', () => {
      const next = edit(stored, (p) => p.spec.containers.push({ name: 'side', image: 'busybox' }));
      assert.deepEqual(check(POD_GVK, next, stored()), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
    });
    test('activeDeadlineSeconds may not grow', () => {
      const old = edit(stored, (p) => (p.spec.activeDeadlineSeconds = 10));
      const next = edit(stored, (p) => (p.spec.activeDeadlineSeconds = 20));
      assert.deepEqual(check(POD_GVK, next, old), ['spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value']);
    });
    test('name is immutable', () => {
      const next = edit(stored, (p) => (p.metadata.name = 'other'));
      assert.deepEqual(check(POD_GVK, next, stored()), ['metadata.name: Invalid value: "other": field is immutable']);
    });    test('the mirror pod annotation can be neither added nor removed (and a mirror pod names its node)', () => {
      const MIRROR = 'kubernetes.io/config.mirror';
      const onNode = () => edit(stored, (p) => (p.spec.nodeName = 'n1'));
      const mirror = () => edit(onNode, (p) => (p.metadata.annotations = { [MIRROR]: 'x' }));
      assert.deepEqual(check(POD_GVK, mirror(), onNode()), [`metadata.annotations[${MIRROR}]: Forbidden: may not add mirror pod annotation`], 'added');
      assert.deepEqual(check(POD_GVK, onNode(), mirror()), [`metadata.annotations[${MIRROR}]: Forbidden: may not remove or update mirror pod annotation`], 'removed');
      assert.deepEqual(check(POD_GVK, mirror(), mirror()), [], 'kept');
      const noNode = edit(stored, (p) => (p.metadata.annotations = { [MIRROR]: 'x' }));
      delete noNode.metadata.resourceVersion;
      delete noNode.metadata.uid;
      assert.deepEqual(check(POD_GVK, noNode), [`metadata.annotations[${MIRROR}]: Invalid value: "x": must set spec.nodeName if mirror pod annotation is set`]);
    });
  });
});

describe('Deployment', () => {
  const cases: [string, Obj, string[]][] = [
    ['valid', deployment(), []],
    ['selector required', edit(deployment, (d) => delete d.spec.selector), [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]],
    [
      'selector must match template labels',
      edit(deployment, (d) => (d.spec.template.metadata.labels = { app: 'db' })),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"db"}: `selector` does not match template `labels`'],
    ],
    ['negative replicas', edit(deployment, (d) => (d.spec.replicas = -1)), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'template restartPolicy must be Always',
      edit(deployment, (d) => (d.spec.template.spec.restartPolicy = 'Never')),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'template pod spec is validated',
      edit(deployment, (d) => delete d.spec.template.spec.containers[0].image),
      ['spec.template.spec.containers[0].image: Required value'],
    ],
    [
      'maxUnavailable percent',
      edit(deployment, (d) => (d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%', maxSurge: 1 } })),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%'],
    ],
  ];
  for (const [name, obj, want] of cases) test(name, () => assert.deepEqual(check(DEPLOY_GVK, obj), want));

  test('selector is immutable in apps/v1', () => {
    const old = edit(deployment, (d) => (d.metadata.resourceVersion = '1'));
    const next = edit(deployment, (d) => {
      d.metadata.resourceVersion = '1';
      d.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
      d.spec.template.metadata.labels.tier = 'x';
    });
    assert.deepEqual(check(DEPLOY_GVK, next, old), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });
});

describe('StatefulSet, DaemonSet, ReplicaSet', () => {
  const tmpl = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const sel = { matchLabels: { app: 'x' } };
  const cases: [GVK, Obj, string[]][] = [
    [{ group: 'apps', version: 'v1', kind: 'StatefulSet' }, { metadata: { name: 's', namespace: 'd' }, spec: { serviceName: 's', selector: sel, template: structuredClone(tmpl) } }, []],
    [{ group: 'apps', version: 'v1', kind: 'DaemonSet' }, { metadata: { name: 's', namespace: 'd' }, spec: { selector: sel, template: structuredClone(tmpl) } }, []],
    [{ group: 'apps', version: 'v1', kind: 'ReplicaSet' }, { metadata: { name: 's', namespace: 'd' }, spec: { selector: sel, template: structuredClone(tmpl) } }, []],
    [
      { group: 'apps', version: 'v1', kind: 'DaemonSet' },
      { metadata: { name: 's', namespace: 'd' }, spec: { selector: { matchLabels: { app: 'y' } }, template: structuredClone(tmpl) } },
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`'],
    ],
    [
      { group: 'apps', version: 'v1', kind: 'StatefulSet' },
      { metadata: { name: 's', namespace: 'd' }, spec: { selector: sel, podManagementPolicy: 'Random', template: structuredClone(tmpl) } },
      ['spec.podManagementPolicy: Invalid value: "Random": must be \'OrderedReady\' or \'Parallel\''],
    ],
  ];
  for (const [gvk, obj, want] of cases) test(`${gvk.kind} ${want.length ? 'invalid' : 'valid'}`, () => assert.deepEqual(check(gvk, obj), want));
});

describe('Service', () => {
  const cases: [string, Obj, string[]][] = [
    ['valid', service(), []],
    ['headless without ports is fine', edit(service, (s) => ((s.spec.ports = []), (s.spec.clusterIP = 'None'))), []],
    ['ports required', edit(service, (s) => (s.spec.ports = [])), ['spec.ports: Required value']],
    ['port range', edit(service, (s) => (s.spec.ports[0].port = 0)), [
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]],
    [
      'type',
      edit(service, (s) => (s.spec.type = 'Magic')),
      ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    ],
    ['multiple ports need names', edit(service, (s) => s.spec.ports.push({ name: 'b', port: 81 })), ['spec.ports[0].name: Required value']],
    ['nodePort on ClusterIP', edit(service, (s) => (s.spec.ports[0].nodePort = 30000)), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    [
      'name must be a DNS-1035 label',
      edit(service, (s) => (s.metadata.name = '1web')),
      [
        "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ['external name required', { metadata: { name: 'x', namespace: 'd' }, spec: { type: 'ExternalName' } }, ['spec.externalName: Required value']],
  ];
  for (const [name, obj, want] of cases) test(name, () => assert.deepEqual(check(SVC_GVK, obj), want));

  test('clusterIP may not change', () => {
    const old = edit(service, (s) => ((s.metadata.resourceVersion = '1'), (s.spec.clusterIP = '10.0.0.10')));
    const next = edit(service, (s) => ((s.metadata.resourceVersion = '1'), (s.spec.clusterIP = '10.0.0.11')));
    assert.deepEqual(check(SVC_GVK, next, old), ['spec.clusterIPs[0]: Invalid value: []string{"10.0.0.11"}: may not change once set']);
  });
});

describe('Namespace, ConfigMap, Secret', () => {
  const NS: GVK = { group: '', version: 'v1', kind: 'Namespace' };
  const CM: GVK = { group: '', version: 'v1', kind: 'ConfigMap' };
  const SEC: GVK = { group: '', version: 'v1', kind: 'Secret' };
  const cases: [string, GVK, Obj, string[]][] = [
    ['namespace valid', NS, { metadata: { name: 'team-a' } }, []],
    [
      'namespace name is a DNS label',
      NS,
      { metadata: { name: 'team.a' } },
      [
        "metadata.name: Invalid value: \"team.a\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ['namespace has no namespace', NS, { metadata: { name: 'a', namespace: 'b' } }, ['metadata.namespace: Forbidden: not allowed on this type']],
    ['configmap valid', CM, { metadata: { name: 'c', namespace: 'd' }, data: { 'app.conf': 'x', KEY_1: 'y' } }, []],
    [
      'configmap bad key',
      CM,
      { metadata: { name: 'c', namespace: 'd' }, data: { 'a b': 'x' } },
      [
        "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    ['configmap dot-dot key', CM, { metadata: { name: 'c', namespace: 'd' }, data: { '..x': '' } }, ['data[..x]: Invalid value: "..x": must not start with \'..\'']],
    [
      'configmap key in both maps',
      CM,
      { metadata: { name: 'c', namespace: 'd' }, data: { k: 'x' }, binaryData: { k: 'eA==' } },
      ['data[k]: Invalid value: "k": duplicate of key present in binaryData', 'binaryData[k]: Invalid value: "k": duplicate of key present in data'],
    ],
    ['configmap too large', CM, { metadata: { name: 'c', namespace: 'd' }, data: { k: 'x'.repeat(1024 * 1024 + 1) } }, [': Too long: may not be more than 1048576 bytes']],
    ['secret valid', SEC, { metadata: { name: 's', namespace: 'd' }, data: { password: 'aHVudGVyMg==' } }, []],
    ['secret too large', SEC, { metadata: { name: 's', namespace: 'd' }, data: { k: Buffer.alloc(1024 * 1024 + 1).toString('base64') } }, ['data: Too long: may not be more than 1048576 bytes']],
    ['tls secret needs cert and key', SEC, { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls', data: {} }, ['data[tls.crt]: Required value', 'data[tls.key]: Required value']],
  ];
  for (const [name, gvk, obj, want] of cases) test(name, () => assert.deepEqual(check(gvk, obj), want));

  test('secret type is immutable and immutable secrets keep their data', () => {
    const old = { metadata: { name: 's', namespace: 'd', resourceVersion: '1' }, type: 'Opaque', immutable: true, data: { a: 'eA==' } };
    const next = { metadata: { name: 's', namespace: 'd', resourceVersion: '1' }, type: 'kubernetes.io/basic-auth', immutable: true, data: { username: 'eA==' } };
    assert.deepEqual(check(SEC, next, old), [
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('RBAC', () => {
  const ROLE: GVK = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' };
  const CR: GVK = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' };
  const RB: GVK = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' };
  const CRB: GVK = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding' };
  const rb = (): Obj => ({
    metadata: { name: 'read:pods', namespace: 'd' },
    roleRef: { kind: 'Role', name: 'pod-reader' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'default', namespace: 'd' }],
  });
  const cases: [string, GVK, Obj, string[]][] = [
    ['role valid', ROLE, { metadata: { name: 'system:reader', namespace: 'd' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }, []],
    ['verbs required', ROLE, { metadata: { name: 'r', namespace: 'd' }, rules: [{ apiGroups: [''], resources: ['pods'] }] }, ['rules[0].verbs: Required value: verbs must contain at least one value']],
    ['role name may not contain /', ROLE, { metadata: { name: 'a/b', namespace: 'd' }, rules: [] }, ['metadata.name: Invalid value: "a/b": may not contain \'/\'']],
    ['namespaced rules cannot use non-resource URLs', ROLE, { metadata: { name: 'r', namespace: 'd' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }, ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs']],
    ['cluster role with non-resource URLs', CR, { metadata: { name: 'r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }, []],
    ['rolebinding valid', RB, rb(), []],
    ['bad subject kind', RB, edit(rb, (b) => (b.subjects = [{ kind: 'Robot', name: 'r2' }])), ['subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"']],
    ['roleRef required', RB, edit(rb, (b) => (b.roleRef = {})), ['roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole"', 'roleRef.name: Required value']],
    ['clusterrolebinding must reference a ClusterRole', CRB, { metadata: { name: 'x' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [] }, ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']],
    ['clusterrolebinding SA subject needs a namespace', CRB, { metadata: { name: 'x' }, roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] }, ['subjects[0].namespace: Required value']],
  ];
  for (const [name, gvk, obj, want] of cases) test(name, () => assert.deepEqual(check(gvk, obj), want));

  test('roleRef is immutable', () => {
    const old = edit(rb, (b) => (b.metadata.resourceVersion = '1'));
    const next = edit(rb, (b) => ((b.metadata.resourceVersion = '1'), (b.roleRef.name = 'admin')));
    assert.deepEqual(check(RB, next, old), ['roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"admin"}: cannot change roleRef']);
  });
});

describe('CustomResourceDefinition', () => {
  const CRD: GVK = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };
  const crd = (): Obj => ({
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
    },
  });
  const cases: [string, Obj, string[]][] = [
    ['valid', crd(), []],
    ['name must be plural.group', edit(crd, (c) => (c.metadata.name = 'gadgets.example.com')), ['metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group']],
    [
      'exactly one storage version',
      edit(crd, (c) => c.spec.versions.push({ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } })),
      [`spec.versions: Invalid value: ${JSON.stringify([{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }, { name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }])}: must have exactly one version marked as storage version`],
    ],
    ['schema required', edit(crd, (c) => delete c.spec.versions[0].schema), ['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required']],
    ['scope', edit(crd, (c) => (c.spec.scope = 'Global')), ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']],
    ['group needs a dot', (() => { const c = crd(); c.spec.group = 'example'; c.metadata.name = 'widgets.example'; return c; })(), ['spec.group: Invalid value: "example": should be a domain with at least one dot']],
  ];
  for (const [name, obj, want] of cases) test(name, () => assert.deepEqual(check(CRD, obj), want));
});

describe('batch, networking, policy and friends', () => {
  const job = (): Obj => ({
    metadata: { name: 'j', namespace: 'd', uid: 'uid-1' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const cases: [string, GVK, Obj, string[]][] = [
    ['job valid (selector generated from uid)', { group: 'batch', version: 'v1', kind: 'Job' }, job(), []],
    [
      'job restartPolicy',
      { group: 'batch', version: 'v1', kind: 'Job' },
      edit(job, (j) => (j.spec.template.spec.restartPolicy = 'Always')),
      ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'],
    ],
    [
      'cronjob schedule',
      { group: 'batch', version: 'v1', kind: 'CronJob' },
      { metadata: { name: 'c', namespace: 'd' }, spec: { schedule: '61 * * * *', jobTemplate: { spec: job().spec } } },
      ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'],
    ],
    [
      'cronjob schedule required',
      { group: 'batch', version: 'v1', kind: 'CronJob' },
      { metadata: { name: 'c', namespace: 'd' }, spec: { jobTemplate: { spec: job().spec } } },
      ['spec.schedule: Required value'],
    ],
    [
      'networkpolicy ipBlock except must be inside cidr',
      { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
      { metadata: { name: 'n', namespace: 'd' }, spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }] } },
      ['spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`'],
    ],
    [
      'networkpolicy peer required',
      { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
      { metadata: { name: 'n', namespace: 'd' }, spec: { podSelector: {}, egress: [{ to: [{}] }] } },
      ['spec.egress[0].to[0]: Required value: must specify a peer'],
    ],
    [
      'ingress pathType required',
      { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
      { metadata: { name: 'i', namespace: 'd' }, spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } },
      ['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified'],
    ],
    [
      'pvc needs access modes and storage',
      { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
      { metadata: { name: 'p', namespace: 'd' }, spec: {} },
      ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value'],
    ],
    [
      'pdb percent',
      { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
      { metadata: { name: 'p', namespace: 'd' }, spec: { minAvailable: '120%', selector: { matchLabels: { a: 'b' } } } },
      ['spec.minAvailable: Invalid value: 120%: must not be greater than 100%'],
    ],
    [
      'lease duration',
      { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
      { metadata: { name: 'l', namespace: 'd' }, spec: { leaseDurationSeconds: 0 } },
      ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'],
    ],
    [
      'webhook needs sideEffects and https',
      { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration' },
      { metadata: { name: 'w' }, webhooks: [{ name: 'v.example.com', admissionReviewVersions: ['v1'], clientConfig: { url: 'http://x.example.com/' } }] },
      ['webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun', "webhooks[0].clientConfig.url: Invalid value: \"http://x.example.com/\": 'https' is the only allowed URL scheme"],
    ],
    [
      'event namespace must match',
      { group: '', version: 'v1', kind: 'Event' },
      { metadata: { name: 'e', namespace: 'a' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'b' } },
      ['involvedObject.namespace: Invalid value: "b": does not match event.namespace'],
    ],
    [
      'csr needs a PEM request',
      { group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest' },
      { metadata: { name: 'c' }, spec: { request: Buffer.from('nope').toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } },
      ['spec.request: Invalid value: []byte{...}: PEM block type must be CERTIFICATE REQUEST'],
    ],
    ['unknown kinds pass', { group: 'example.com', version: 'v1', kind: 'Widget' }, { metadata: {} }, []],
  ];
  for (const [name, gvk, obj, want] of cases) test(name, () => assert.deepEqual(check(gvk, obj), want));
});
