/**
 * A hand-built schema for the unit tests: a Deployment/Pod subset with upstream's markers
 * (containers: map keyed by name; ports: map keyed by containerPort+protocol; env: map keyed by
 * name; finalizers: set; labels/annotations: granular maps; args/command: atomic lists;
 * LabelSelector: atomic struct).
 */
import type { FieldSchema, ObjectType, Schema, TypeRef } from '../schema/types.ts';

const str: TypeRef = { kind: 'scalar', scalar: 'string' };
const int: TypeRef = { kind: 'scalar', scalar: 'integer' };
const obj = (type: string): TypeRef => ({ kind: 'object', type });
const strMap: TypeRef = { kind: 'map', value: str };

/** Field names ending in "?" are marked optional, as the generated schema marks +optional. */
function t(name: string, fields: Record<string, TypeRef>, atomic = false): ObjectType {
  const out: Record<string, FieldSchema> = {};
  let n = 1;
  for (const [raw, type] of Object.entries(fields)) {
    const k = raw.replace(/\?$/, '');
    const f: FieldSchema & { optional?: boolean } = { name: k, number: n++, type };
    if (raw.endsWith('?')) f.optional = true;
    out[k] = f;
  }
  return atomic ? { name, fields: out, atomic } : { name, fields: out };
}

const types: ObjectType[] = [
  t('Deployment', { 'metadata?': obj('ObjectMeta'), spec: obj('DeploymentSpec'), status: obj('DeploymentStatus') }),
  t('ObjectMeta', {
    name: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    generation: int,
    creationTimestamp: { kind: 'time' },
    'labels?': strMap,
    'annotations?': strMap,
    'finalizers?': { kind: 'list', item: str, list: { listType: 'set' } },
    'ownerReferences?': { kind: 'list', item: obj('OwnerReference'), list: { listType: 'map', mapKeys: ['uid'] } },
    managedFields: { kind: 'list', item: { kind: 'any' }, list: { listType: 'atomic' } },
  }),
  t('OwnerReference', { uid: str, name: str, kind: str, apiVersion: str }),
  t('DeploymentSpec', {
    replicas: int,
    selector: obj('LabelSelector'),
    template: obj('PodTemplateSpec'),
    'strategy?': obj('DeploymentStrategy'),
  }),
  t('LabelSelector', { matchLabels: strMap }, true),
  t('DeploymentStrategy', { type: str, 'rollingUpdate?': obj('RollingUpdateDeployment') }),
  t('RollingUpdateDeployment', { maxSurge: { kind: 'int-or-string' }, maxUnavailable: { kind: 'int-or-string' } }),
  t('DeploymentStatus', { replicas: int, observedGeneration: int }),
  t('PodTemplateSpec', { 'metadata?': obj('ObjectMeta'), spec: obj('PodSpec') }),
  t('PodSpec', {
    containers: { kind: 'list', item: obj('Container'), list: { listType: 'map', mapKeys: ['name'] } },
    restartPolicy: str,
  }),
  t('Container', {
    name: str,
    image: str,
    'args?': { kind: 'list', item: str, list: { listType: 'atomic' } },
    command: { kind: 'list', item: str, list: { listType: 'atomic' } },
    'ports?': { kind: 'list', item: obj('ContainerPort'), list: { listType: 'map', mapKeys: ['containerPort', 'protocol'] } },
    'env?': { kind: 'list', item: obj('EnvVar'), list: { listType: 'map', mapKeys: ['name'] } },
    'resources?': obj('ResourceRequirements'),
  }),
  t('ContainerPort', { containerPort: int, protocol: str, name: str }),
  t('EnvVar', { name: str, value: str }),
  t('ResourceRequirements', { limits: { kind: 'map', value: { kind: 'quantity' } }, requests: { kind: 'map', value: { kind: 'quantity' } } }),
];

const byName = new Map(types.map((x) => [x.name, x]));

export const fixtureSchema: Schema = {
  typeNameForKind: (gvk) => (gvk.group === 'apps' && gvk.kind === 'Deployment' ? 'Deployment' : undefined),
  type: (name) => byName.get(name),
};

export const DEPLOYMENT = 'Deployment';
