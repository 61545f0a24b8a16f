/**
 * The mandatory API Priority and Fairness objects kube-apiserver keeps in place
 * (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap, MandatoryFlowSchemas and
 * MandatoryPriorityLevelConfigurations), as flowcontrol.apiserver.k8s.io/v1 JSON with defaults applied.
 * Behaviour as data: validation compares against them and the server creates them when missing.
 */

const AUTOUPDATE = { 'apf.kubernetes.io/autoupdate-spec': 'true' };
const EVERYTHING = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
};
const group = (name: string) => ({ kind: 'Group', group: { name } });

export const MANDATORY_PRIORITY_LEVELS: ReadonlyArray<{ metadata: { name: string; annotations: Record<string, string> }; spec: Record<string, unknown> }> = [
  { metadata: { name: 'exempt', annotations: AUTOUPDATE }, spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } } },
  {
    metadata: { name: 'catch-all', annotations: AUTOUPDATE },
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: 5, lendablePercent: 0, limitResponse: { type: 'Reject' } } },
  },
];

export const MANDATORY_FLOW_SCHEMAS: ReadonlyArray<{ metadata: { name: string; annotations: Record<string, string> }; spec: Record<string, unknown> }> = [
  {
    metadata: { name: 'exempt', annotations: AUTOUPDATE },
    spec: { matchingPrecedence: 1, priorityLevelConfiguration: { name: 'exempt' }, rules: [{ subjects: [group('system:masters')], ...EVERYTHING }] },
  },
  {
    metadata: { name: 'catch-all', annotations: AUTOUPDATE },
    spec: {
      matchingPrecedence: 10000,
      priorityLevelConfiguration: { name: 'catch-all' },
      distinguisherMethod: { type: 'ByUser' },
      rules: [{ subjects: [group('system:unauthenticated'), group('system:authenticated')], ...EVERYTHING }],
    },
  },
];
