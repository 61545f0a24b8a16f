/**
 * The ReplicationController controller: upstream runs the ReplicaSet controller over
 * ReplicationControllers (pkg/controller/replication), whose selector is a plain label map.
 */
import type { Controller } from '../client/types.ts';
import { selectorFromMetav1 } from '../../api/selectors/label-selector.ts';
import { newReplicaController, type ReplicaControllerDeps, type ReplicaKind } from './replicaset.ts';
import { REPLICATION_CONTROLLERS } from './resources.ts';

export const REPLICATION_CONTROLLER_KIND: ReplicaKind = {
  resource: REPLICATION_CONTROLLERS,
  component: 'replication-controller',
  // No selector selects nothing (validation defaults it to the template labels before storage).
  selector: (rc) => selectorFromMetav1(rc.spec?.selector ? { matchLabels: rc.spec.selector } : undefined),
};

export function newReplicationController(deps: ReplicaControllerDeps): Controller {
  return newReplicaController(deps, REPLICATION_CONTROLLER_KIND);
}
