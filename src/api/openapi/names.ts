/**
 * Names upstream gives things in its OpenAPI documents: definitions (io.k8s.api.core.v1.Pod),
 * tags (apps_v1) and operation ids (listAppsV1NamespacedDeployment).
 */

/** The OpenAPI definition name of a proto message: k8s.io.api.core.v1.Pod -> io.k8s.api.core.v1.Pod. */
export function definitionName(protoName: string): string {
  // Upstream names definitions after the Go package path with its host reversed; the proto
  // packages spell the same path with "k8s.io." first and "_" for "-" (apiextensions-apiserver).
  return protoName.replace(/^k8s\.io\./, 'io.k8s.').replaceAll('_', '-');
}

/** A custom resource's definition name: the group reversed, then version and kind (com.example.stable.v1.CronTab). */
export function customDefinitionName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The group part of tags and operation ids: "" -> core, rbac.authorization.k8s.io -> rbacAuthorization. */
function groupWord(group: string): string {
  if (group === '') return 'core';
  const parts = group.replace(/\.k8s\.io$/, '').split('.');
  return parts.map((p, i) => (i === 0 ? p : capitalize(p))).join('').replaceAll('-', '');
}

/** The tag of a group version's operations: core_v1, apps_v1, rbacAuthorization_v1. */
export function operationTag(group: string, version: string): string {
  return `${groupWord(group)}_${version}`;
}

/** listAppsV1NamespacedDeployment, readCoreV1NamespaceStatus, createAuthorizationV1SubjectAccessReview. */
export function operationId(verb: string, group: string, version: string, namespaced: boolean, kind: string, suffix = ''): string {
  return `${verb}${capitalize(groupWord(group))}${capitalize(version)}${namespaced ? 'Namespaced' : ''}${kind}${suffix}`;
}

/** The served group version as the /openapi/v3 index names it: api/v1, apis/apps/v1. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}
