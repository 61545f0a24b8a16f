/** apps/v1 workloads, after upstream's printers. */
import { doc } from '../field-docs.ts';
import { since } from '../duration.ts';
import { containerCells, formatLabelSelector, formatLabels, int, obj, selectorString, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { AGE, CONTAINERS, IMAGES, NAME } from './meta.ts';

const name = (o: Obj): string => str(obj(o.metadata).name);
const age = (o: Obj, now: Date): string => since(obj(o.metadata).creationTimestamp, now);
const podSpec = (o: Obj): Obj => obj(obj(obj(o.spec).template).spec);
const SELECTOR = (d: string): ReturnType<typeof column> => column('Selector', 'string', d, { priority: 1 });

export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', doc('extensions/v1beta1:DeploymentStatus.updatedReplicas')),
    column('Available', 'string', doc('extensions/v1beta1:DeploymentStatus.availableReplicas')),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR(doc('extensions/v1beta1:DeploymentSpec.selector')),
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    // Deployments print the selector as it parses (empty when it selects everything).
    const selector = selectorString(spec.selector) ?? '<invalid>';
    return [name(o), `${int(status.readyReplicas)}/${int(spec.replicas)}`, int(status.updatedReplicas), int(status.availableReplicas), age(o, now), ...containerCells(podSpec(o).containers), selector];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    column('Desired', 'integer', doc('extensions/v1beta1:ReplicaSetSpec.replicas')),
    column('Current', 'integer', doc('extensions/v1beta1:ReplicaSetStatus.replicas')),
    column('Ready', 'integer', doc('extensions/v1beta1:ReplicaSetStatus.readyReplicas')),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR(doc('extensions/v1beta1:ReplicaSetSpec.selector')),
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    return [name(o), int(spec.replicas), int(status.replicas), int(status.readyReplicas), age(o, now), ...containerCells(podSpec(o).containers), formatLabelSelector(spec.selector)];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [NAME, column('Ready', 'string', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
  cells(o, now) {
    return [name(o), `${int(obj(o.status).readyReplicas)}/${int(obj(o.spec).replicas)}`, age(o, now), ...containerCells(podSpec(o).containers)];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    column('Desired', 'integer', doc('extensions/v1beta1:DaemonSetStatus.desiredNumberScheduled')),
    column('Current', 'integer', doc('extensions/v1beta1:DaemonSetStatus.currentNumberScheduled')),
    column('Ready', 'integer', doc('extensions/v1beta1:DaemonSetStatus.numberReady')),
    column('Up-to-date', 'integer', doc('extensions/v1beta1:DaemonSetStatus.updatedNumberScheduled')),
    column('Available', 'integer', doc('extensions/v1beta1:DaemonSetStatus.numberAvailable')),
    column('Node Selector', 'string', doc('core/v1:PodSpec.nodeSelector')),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR(doc('extensions/v1beta1:DaemonSetSpec.selector')),
  ],
  cells(o, now) {
    const s = obj(o.status);
    return [
      name(o),
      int(s.desiredNumberScheduled),
      int(s.currentNumberScheduled),
      int(s.numberReady),
      int(s.updatedNumberScheduled),
      int(s.numberAvailable),
      formatLabels(podSpec(o).nodeSelector),
      age(o, now),
      ...containerCells(podSpec(o).containers),
      formatLabelSelector(obj(o.spec).selector),
    ];
  },
};
