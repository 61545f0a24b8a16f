/**
 * Test helper: a small hand-built Schema with upstream's patch markers for the Pod and Deployment
 * fields the patch tests touch, plus upstream strategicpatch's own test type (MergeItem, from
 * apimachinery patch_test.go) so its table cases can be replayed as they are written there.
 */
import type { FieldSchema, ListInfo, ObjectType, Schema, TypeRef } from '../schema/types.ts';

const str: TypeRef = { kind: 'scalar', scalar: 'string' };
const int: TypeRef = { kind: 'scalar', scalar: 'integer' };
const bool: TypeRef = { kind: 'scalar', scalar: 'boolean' };
const obj = (type: string): TypeRef => ({ kind: 'object', type });
const strMap: TypeRef = { kind: 'map', value: str };
const list = (item: TypeRef, list: ListInfo): TypeRef => ({ kind: 'list', item, list });
const mergeBy = (item: string, key: string, strategy = 'merge'): TypeRef =>
  list(obj(item), { listType: 'map', mapKeys: [key], patchStrategy: strategy, patchMergeKey: key });
const atomic = (item: TypeRef): TypeRef => list(item, { listType: 'atomic' });
const mergeSet = (item: TypeRef): TypeRef => list(item, { listType: 'set', patchStrategy: 'merge' });

const CORE = 'k8s.io.api.core.v1.';
const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';
const APPS = 'k8s.io.api.apps.v1.';
export const POD = `${CORE}Pod`;
export const DEPLOYMENT = `${APPS}Deployment`;
export const MERGE_ITEM = 'test.MergeItem';

function type(name: string, fields: Record<string, TypeRef>): ObjectType {
  const out: Record<string, FieldSchema> = {};
  Object.entries(fields).forEach(([field, ref], i) => {
    out[field] = { name: field, number: i + 1, type: ref };
  });
  return { name, fields: out };
}

const types: ObjectType[] = [
  type(POD, { apiVersion: str, kind: str, metadata: obj(`${META}ObjectMeta`), spec: obj(`${CORE}PodSpec`) }),
  type(`${META}ObjectMeta`, {
    name: str,
    namespace: str,
    resourceVersion: str,
    labels: strMap,
    annotations: strMap,
    finalizers: mergeSet(str),
    ownerReferences: mergeBy(`${META}OwnerReference`, 'uid'),
  }),
  type(`${META}OwnerReference`, { apiVersion: str, kind: str, name: str, uid: str, controller: bool }),
  type(`${CORE}PodSpec`, {
    containers: mergeBy(`${CORE}Container`, 'name'),
    initContainers: mergeBy(`${CORE}Container`, 'name'),
    volumes: mergeBy(`${CORE}Volume`, 'name', 'merge,retainKeys'),
    tolerations: atomic(obj(`${CORE}Toleration`)),
    imagePullSecrets: mergeBy(`${CORE}LocalObjectReference`, 'name'),
    nodeSelector: strMap,
    restartPolicy: str,
  }),
  type(`${CORE}Container`, {
    name: str,
    image: str,
    args: atomic(str),
    ports: mergeBy(`${CORE}ContainerPort`, 'containerPort'),
    env: mergeBy(`${CORE}EnvVar`, 'name'),
    volumeMounts: mergeBy(`${CORE}VolumeMount`, 'mountPath'),
  }),
  type(`${CORE}ContainerPort`, { name: str, containerPort: int, protocol: str }),
  type(`${CORE}EnvVar`, { name: str, value: str, valueFrom: { kind: 'any' } }),
  type(`${CORE}VolumeMount`, { name: str, mountPath: str, readOnly: bool }),
  type(`${CORE}Volume`, {
    name: str,
    hostPath: obj(`${CORE}HostPathVolumeSource`),
    emptyDir: obj(`${CORE}EmptyDirVolumeSource`),
    configMap: obj(`${CORE}ConfigMapVolumeSource`),
  }),
  type(`${CORE}HostPathVolumeSource`, { path: str, type: str }),
  type(`${CORE}EmptyDirVolumeSource`, { medium: str }),
  type(`${CORE}ConfigMapVolumeSource`, { name: str }),
  type(`${CORE}Toleration`, { key: str, operator: str, value: str, effect: str }),
  type(`${CORE}LocalObjectReference`, { name: str }),
  type(`${CORE}PodTemplateSpec`, { metadata: obj(`${META}ObjectMeta`), spec: obj(`${CORE}PodSpec`) }),
  type(DEPLOYMENT, { apiVersion: str, kind: str, metadata: obj(`${META}ObjectMeta`), spec: obj(`${APPS}DeploymentSpec`) }),
  type(`${APPS}DeploymentSpec`, {
    replicas: int,
    selector: { kind: 'any' },
    template: obj(`${CORE}PodTemplateSpec`),
    strategy: obj(`${APPS}DeploymentStrategy`),
  }),
  type(`${APPS}DeploymentStrategy`, { type: str, rollingUpdate: { kind: 'any' } }),
  // apimachinery strategicpatch patch_test.go MergeItem / RetainKeysMergeItem.
  type(MERGE_ITEM, {
    name: str,
    value: str,
    other: str,
    mergingList: mergeBy(MERGE_ITEM, 'name'),
    nonMergingList: atomic(obj(MERGE_ITEM)),
    mergingIntList: mergeSet(int),
    nonMergingIntList: atomic(int),
    simpleMap: strMap,
    retainKeysMap: obj('test.RetainKeysMergeItem'),
    retainKeysMergingList: mergeBy(MERGE_ITEM, 'name', 'merge,retainKeys'),
  }),
  type('test.RetainKeysMergeItem', {
    name: str,
    value: str,
    other: str,
    simpleMap: strMap,
    mergingIntList: mergeSet(int),
    mergingList: mergeBy(MERGE_ITEM, 'name'),
    nonMergingList: atomic(obj(MERGE_ITEM)),
  }),
];

const byName = new Map(types.map((t) => [t.name, t]));

export const fixtureSchema: Schema = {
  typeNameForKind: (gvk) =>
    gvk.group === '' && gvk.kind === 'Pod' ? POD : gvk.group === 'apps' && gvk.kind === 'Deployment' ? DEPLOYMENT : undefined,
  type: (name) => byName.get(name),
};
