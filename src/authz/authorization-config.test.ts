import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuthorizationConfig } from './authorization-config.ts';

const doc = (authorizers: string) => `apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n${authorizers}`;
const WEBHOOK = `  - type: Webhook
    name: webhook
    webhook:
      timeout: 3s
      authorizedTTL: 5m
      unauthorizedTTL: 30s
      subjectAccessReviewVersion: v1
      failurePolicy: Deny
      connectionInfo:
        type: KubeConfigFile
        kubeConfigFile: /etc/portcullis/authz-webhook.kubeconfig
`;

test('authorizers become the modes in order, with the webhook and Casbin settings', () => {
  const s = parseAuthorizationConfig(doc(`  - type: Node\n    name: node\n  - type: Casbin\n    name: deny-list\n    casbin:\n      model: /etc/casbin/model.conf\n      policyConfigMap: casbin-policy\n  - type: RBAC\n    name: rbac\n${WEBHOOK}`), 'authz.yaml');
  assert.deepEqual(s, {
    modes: ['Node', 'Casbin', 'RBAC', 'Webhook'],
    casbin: { model: '/etc/casbin/model.conf', policyFile: undefined, policyConfigMap: 'casbin-policy' },
    webhook: { configFile: '/etc/portcullis/authz-webhook.kubeconfig', authorizedTtlMs: 300_000, unauthorizedTtlMs: 30_000, timeoutMs: 3000 },
  });
});

test("upstream's validation messages", () => {
  const fails = (text: string, want: string) => assert.throws(() => parseAuthorizationConfig(text, 'authz.yaml'), (err: Error) => (assert.equal(err.message, `authz.yaml: ${want}`), true));
  fails(doc('  []\n').replace('authorizers:\n  []', 'authorizers: []'), 'authorizers: Required value: at least one authorization mode must be defined');
  fails(doc('  - type: Magic\n    name: m\n'), 'authorizers[0].type: Unsupported value: "Magic": supported values: "ABAC", "AlwaysAllow", "AlwaysDeny", "Casbin", "Node", "RBAC", "Webhook"');
  fails(doc('  - type: RBAC\n    name: a\n  - type: RBAC\n    name: b\n'), 'authorizers[1].type: Duplicate value: "RBAC"');
  fails(doc('  - type: RBAC\n    name: x\n  - type: Node\n    name: x\n'), 'authorizers[1].name: Duplicate value: "x"');
  fails(doc('  - type: RBAC\n'), 'authorizers[0].name: Required value');
  fails(doc('  - type: RBAC\n    name: r\n    webhook: {}\n'), 'authorizers[0].webhook: Invalid value: "non-null": may only be specified when type=Webhook');
  fails(doc('  - type: Webhook\n    name: w\n'), 'authorizers[0].webhook: Required value: required when type=Webhook');
  fails(doc(WEBHOOK.replace('timeout: 3s', 'timeout: 31s')), 'authorizers[0].webhook.timeout: Invalid value: "31s": must be > 0s and <= 30s');
  fails(doc(WEBHOOK.replace('kubeConfigFile: /etc', 'kubeConfigFile: etc')), 'authorizers[0].webhook.connectionInfo.kubeConfigFile: Invalid value: "etc/portcullis/authz-webhook.kubeconfig": must be an absolute path');
  fails(doc(WEBHOOK.replace('failurePolicy: Deny', 'failurePolicy: Maybe')), 'authorizers[0].webhook.failurePolicy: Unsupported value: "Maybe": supported values: "NoOpinion", "Deny"');
  fails(doc('  - type: Casbin\n    name: c\n'), 'authorizers[0].casbin: Required value: required when type=Casbin');
});

test('what upstream accepts and Portcullis does not serve is refused by name', () => {
  const fails = (text: string, want: RegExp) => assert.throws(() => parseAuthorizationConfig(text, 'authz.yaml'), want);
  fails(doc(WEBHOOK.replace('failurePolicy: Deny', 'failurePolicy: NoOpinion')), /failurePolicy: Forbidden: Portcullis fails closed/);
  fails(doc(WEBHOOK + WEBHOOK.replace('name: webhook', 'name: webhook2')), /authorizers\[1\]\.type: Forbidden: Portcullis serves one Webhook authorizer/);
  fails(doc(WEBHOOK + '      matchConditions:\n        - expression: "true"\n'), /matchConditions: Forbidden: not supported by Portcullis yet/);
  fails(doc(WEBHOOK.replace('subjectAccessReviewVersion: v1', 'subjectAccessReviewVersion: v1beta1')), /Portcullis sends v1 SubjectAccessReviews only/);
  fails(doc(WEBHOOK.replace('type: KubeConfigFile', 'type: InClusterConfig')), /InClusterConfig is not supported by Portcullis/);
});
