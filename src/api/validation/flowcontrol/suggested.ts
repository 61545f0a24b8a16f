/**
 * The suggested API Priority and Fairness objects kube-apiserver creates when missing
 * (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap, SuggestedPriorityLevelConfigurations and
 * SuggestedFlowSchemas), as flowcontrol.apiserver.k8s.io/v1 JSON with defaults applied. Unlike the
 * mandatory ones a cluster administrator may change or delete them.
 */

const AUTOUPDATE = { 'apf.kubernetes.io/autoupdate-spec': 'true' };
const ALL_RESOURCES = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }];
const ALL_NON_RESOURCES = [{ verbs: ['*'], nonResourceURLs: ['*'] }];
const group = (name: string) => ({ kind: 'Group', group: { name } });
const user = (name: string) => ({ kind: 'User', user: { name } });
const kubeSystemSA = (name: string) => ({ kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name } });

type Spec = Record<string, unknown>;
type Bootstrap = { metadata: { name: string; annotations: Record<string, string> }; spec: Spec };

function queuing(name: string, shares: number, lendablePercent: number, queues: number, handSize: number): Bootstrap {
  return {
    metadata: { name, annotations: AUTOUPDATE },
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: shares, lendablePercent, limitResponse: { type: 'Queue', queuing: { queues, handSize, queueLengthLimit: 50 } } } },
  };
}

function schema(name: string, level: string, precedence: number, distinguisher: 'ByUser' | 'ByNamespace' | undefined, rules: Spec[]): Bootstrap {
  return {
    metadata: { name, annotations: AUTOUPDATE },
    spec: { matchingPrecedence: precedence, priorityLevelConfiguration: { name: level }, ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}), rules },
  };
}

const everything = (subjects: Spec[]) => [{ subjects, resourceRules: ALL_RESOURCES, nonResourceRules: ALL_NON_RESOURCES }];
const electionRules = (namespaces: string[]) => [
  { verbs: ['get', 'create', 'update'], apiGroups: [''], resources: ['endpoints', 'configmaps'], namespaces },
  { verbs: ['get', 'create', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['*'] },
];

export const SUGGESTED_PRIORITY_LEVELS: ReadonlyArray<Bootstrap> = [
  queuing('system', 30, 33, 64, 6),
  queuing('node-high', 40, 25, 64, 6),
  queuing('leader-election', 10, 0, 16, 4),
  queuing('workload-high', 40, 50, 128, 6),
  queuing('workload-low', 100, 90, 128, 6),
  queuing('global-default', 20, 50, 128, 6),
];

export const SUGGESTED_FLOW_SCHEMAS: ReadonlyArray<Bootstrap> = [
  schema('system-nodes', 'system', 500, 'ByUser', everything([group('system:nodes')])),
  schema('system-node-high', 'node-high', 400, 'ByUser', [
    {
      subjects: [group('system:nodes')],
      resourceRules: [
        { verbs: ['*'], apiGroups: [''], resources: ['nodes', 'nodes/status'], clusterScope: true, namespaces: ['*'] },
        { verbs: ['*'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['*'] },
      ],
    },
  ]),
  schema('probes', 'exempt', 2, undefined, [
    { subjects: [group('system:unauthenticated'), group('system:authenticated')], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }] },
  ]),
  schema('system-leader-election', 'leader-election', 100, 'ByUser', [
    { subjects: [user('system:kube-controller-manager'), user('system:kube-scheduler'), kubeSystemSA('*')], resourceRules: electionRules(['kube-system']) },
  ]),
  schema('workload-leader-election', 'leader-election', 200, 'ByUser', [{ subjects: [kubeSystemSA('*')], resourceRules: electionRules(['*']) }]),
  schema('endpoint-controller', 'workload-high', 150, 'ByUser', [
    {
      subjects: [user('system:kube-controller-manager'), kubeSystemSA('endpoint-controller'), kubeSystemSA('endpointslicemirroring-controller')],
      resourceRules: [{ verbs: ['get', 'create', 'update'], apiGroups: [''], resources: ['endpoints'], namespaces: ['*'] }],
    },
  ]),
  schema('kube-controller-manager', 'workload-high', 800, 'ByNamespace', everything([user('system:kube-controller-manager')])),
  schema('kube-scheduler', 'workload-high', 800, 'ByNamespace', everything([user('system:kube-scheduler')])),
  schema('kube-system-service-accounts', 'workload-high', 900, 'ByNamespace', everything([kubeSystemSA('*')])),
  schema('service-accounts', 'workload-low', 9000, 'ByUser', everything([group('system:serviceaccounts')])),
  schema('global-default', 'global-default', 9900, 'ByUser', everything([group('system:unauthenticated'), group('system:authenticated')])),
];
