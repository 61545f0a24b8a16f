import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customDefinitionName, definitionName, groupVersionPath, operationId, operationTag } from './names.ts';

const cases: [string, string, string][] = [
  ['core type', definitionName('k8s.io.api.core.v1.Pod'), 'io.k8s.api.core.v1.Pod'],
  ['meta type', definitionName('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta'), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
  ['apiextensions type', definitionName('k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'), 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'],
  ['custom resource', customDefinitionName('stable.example.com', 'v1', 'CronTab'), 'com.example.stable.v1.CronTab'],
  ['core tag', operationTag('', 'v1'), 'core_v1'],
  ['dotted tag', operationTag('rbac.authorization.k8s.io', 'v1'), 'rbacAuthorization_v1'],
  ['namespaced list', operationId('list', 'apps', 'v1', true, 'Deployment'), 'listAppsV1NamespacedDeployment'],
  ['cluster status', operationId('read', '', 'v1', false, 'Namespace', 'Status'), 'readCoreV1NamespaceStatus'],
  ['beta version', operationId('create', 'authentication.k8s.io', 'v1beta1', false, 'SelfSubjectReview'), 'createAuthenticationV1beta1SelfSubjectReview'],
  ['core path', groupVersionPath('', 'v1'), 'api/v1'],
  ['group path', groupVersionPath('apps', 'v1'), 'apis/apps/v1'],
];
for (const [name, got, want] of cases) test(name, () => assert.equal(got, want));
