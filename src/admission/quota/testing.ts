/** Shared by the tests of the quota, limit range, service account and namespace plugins. */
import pino from 'pino';
import { openSqliteStore } from '../../storage/sqlite.ts';
import type { Store } from '../../storage/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, Operation } from '../types.ts';

export function testDeps(store: Store = openSqliteStore({ path: ':memory:' })): PluginDeps {
  let uid = 0;
  return {
    store,
    authorizer: { name: 'none', authorize: async () => ({ decision: 'no-opinion', reason: '' }) },
    now: () => new Date('2025-01-01T00:00:00Z'),
    random: () => 0,
    newUid: () => `uid-${++uid}`,
    log: pino({ level: 'silent' }),
  };
}

const KINDS: Record<string, string> = {
  pods: 'Pod',
  services: 'Service',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  namespaces: 'Namespace',
  deployments: 'Deployment',
};

export function attrs(resource: string, object: Record<string, any> | undefined, over: Partial<AdmissionAttributes> & { group?: string; op?: Operation } = {}): AdmissionAttributes {
  const group = over.group ?? (resource === 'deployments' ? 'apps' : '');
  const name = String(object?.metadata?.name ?? over.oldObject?.metadata?.name ?? '');
  return {
    operation: over.op ?? 'CREATE',
    object,
    oldObject: over.oldObject,
    kind: { group, version: 'v1', kind: KINDS[resource] ?? resource },
    resource: { group, version: 'v1', resource },
    subresource: over.subresource ?? '',
    namespace: over.namespace ?? (resource === 'namespaces' ? '' : 'ns'),
    name,
    user: { username: 'alice', groups: [] },
    dryRun: over.dryRun ?? false,
  };
}

export function pod(name: string, containers: Record<string, any>[], extra: Record<string, any> = {}): Record<string, any> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers, ...extra } };
}

export function container(name: string, requests?: Record<string, string>, limits?: Record<string, string>): Record<string, any> {
  const resources: Record<string, any> = {};
  if (requests) resources.requests = requests;
  if (limits) resources.limits = limits;
  return { name, image: 'nginx', resources };
}
