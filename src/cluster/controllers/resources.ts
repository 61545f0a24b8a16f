/** The resources the workload controllers read and write, and their work-queue keys (ns/name). */
import { resources } from '../client/resources.ts';
import { objectKey, splitKey as splitClientKey } from '../client/keys.ts';
import type { K8sObject } from '../client/types.ts';

export { apiVersionOf } from '../client/resources.ts';

export const PODS = resources.pods;
export const EVENTS = resources.events;
export const REPLICATION_CONTROLLERS = resources.replicationcontrollers;
export const REPLICA_SETS = resources.replicasets;
export const DEPLOYMENTS = resources.deployments;

export const keyOf = (obj: K8sObject): string => objectKey(obj);

export function splitKey(key: string): [namespace: string, name: string] {
  const { namespace, name } = splitClientKey(key);
  return [namespace, name];
}
