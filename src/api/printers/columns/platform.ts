/**
 * Printers of the remaining 1.33 kinds (core controllers and templates, discovery, networking,
 * node, scheduling, apps ControllerRevision, apiregistration), after upstream's printers.go and
 * kube-aggregator's apiservice table convertor.
 */
import { since } from '../duration.ts';
import { arr, containerCells, formatLabels, int, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { AGE, CONTAINERS, IMAGES, NAME } from './meta.ts';
import { lazyPrinter, protoDoc } from './proto-docs.ts';

const name = (o: Obj): string => str(obj(o.metadata).name);
const age = (o: Obj, now: Date): string => since(obj(o.metadata).creationTimestamp, now);

export const replicationControllerPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('Desired', 'integer', protoDoc('core.v1.ReplicationControllerSpec', 'replicas')),
    column('Current', 'integer', protoDoc('core.v1.ReplicationControllerStatus', 'replicas')),
    column('Ready', 'integer', protoDoc('core.v1.ReplicationControllerStatus', 'readyReplicas')),
    AGE,
    CONTAINERS,
    IMAGES,
    column('Selector', 'string', protoDoc('core.v1.ReplicationControllerSpec', 'selector'), { priority: 1 }),
  ],
  (o, now) => {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const containers = obj(obj(spec.template).spec).containers;
    return [name(o), int(spec.replicas), int(status.replicas), int(status.readyReplicas), age(o, now), ...containerCells(containers), formatLabels(spec.selector)];
  },
);

export const podTemplatePrinter: Printer = {
  columns: [
    NAME,
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells: (o) => [name(o), ...containerCells(obj(obj(o.template).spec).containers), formatLabels(obj(obj(o.template).metadata).labels)],
};

export const componentStatusPrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'Status of the component conditions'),
    column('Message', 'string', 'Message of the component conditions'),
    column('Error', 'string', 'Error of the component conditions'),
  ],
  cells(o) {
    const c = arr(o.conditions).find((x) => x.type === 'Healthy');
    if (!c) return [name(o), 'Unknown', '', ''];
    return [name(o), c.status === 'True' ? 'Healthy' : 'Unhealthy', str(c.message), str(c.error)];
  },
};

/** metav1.GetControllerOf, printed as formatResourceName: "<kind>.<group>/<name>" in lower case. */
function controllerName(o: Obj): string {
  const ref = arr(obj(o.metadata).ownerReferences).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = str(ref.apiVersion);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = str(ref.kind);
  if (kind === '' && group === '') return str(ref.name);
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}`;
}

export const controllerRevisionPrinter: Printer = lazyPrinter(
  () => [NAME, column('Controller', 'string', 'Controller of the object'), column('Revision', 'string', protoDoc('apps.v1beta1.ControllerRevision', 'revision')), AGE],
  (o, now) => [name(o), controllerName(o), int(o.revision), age(o, now)],
);

/** listWithMoreString: the first three, "+ N more...", "<unset>" when empty. */
function listWithMore(all: string[]): string {
  const max = 3;
  const ret = all.slice(0, max).join(',');
  if (all.length > max) return `${ret} + ${all.length - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

export const endpointSlicePrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('AddressType', 'string', protoDoc('discovery.v1beta1.EndpointSlice', 'addressType')),
    column('Ports', 'string', protoDoc('discovery.v1beta1.EndpointSlice', 'ports')),
    column('Endpoints', 'string', protoDoc('discovery.v1beta1.EndpointSlice', 'endpoints')),
    AGE,
  ],
  (o, now) => {
    const ports = arr(o.ports).map((p) => (typeof p.port === 'number' ? String(int(p.port)) : typeof p.name === 'string' ? p.name : '*'));
    const addresses = arr(o.endpoints).flatMap((e) => arr(e.addresses).map(str));
    return [name(o), str(o.addressType), listWithMore(ports), listWithMore(addresses), age(o, now)];
  },
);

export const ingressClassPrinter: Printer = {
  columns: [
    NAME,
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE,
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    let parameters = '<none>';
    if (spec.parameters) {
      const p = obj(spec.parameters);
      parameters = `${str(p.kind)}${typeof p.apiGroup === 'string' ? `.${p.apiGroup}` : ''}/${str(p.name)}`;
    }
    return [name(o), str(spec.controller), parameters, age(o, now)];
  },
};

export const serviceCidrPrinter: Printer = lazyPrinter(
  () => [NAME, column('CIDRs', 'string', protoDoc('networking.v1beta1.ServiceCIDRSpec', 'cidrs')), AGE],
  (o, now) => [name(o), arr(obj(o.spec).cidrs).map(str).join(','), age(o, now)],
);

// Upstream's IPAddress handler appends an Age cell its two columns do not announce; the row
// follows the columns here so the Table stays well formed.
export const ipAddressPrinter: Printer = lazyPrinter(
  () => [NAME, column('ParentRef', 'string', protoDoc('networking.v1beta1.IPAddressSpec', 'parentRef'))],
  (o) => {
    const ref = obj(obj(o.spec).parentRef);
    if (!obj(o.spec).parentRef) return [name(o), '<none>'];
    const gr = str(ref.group) ? `${str(ref.resource)}.${str(ref.group)}` : str(ref.resource);
    const ns = str(ref.namespace) ? `/${str(ref.namespace)}` : '';
    return [name(o), `${gr.toLowerCase()}${ns}/${str(ref.name)}`];
  },
);

// Upstream describes Handler with ObjectMeta's (absent) "handler" doc, an empty string; the
// RuntimeClass field's own documentation is used instead.
export const runtimeClassPrinter: Printer = lazyPrinter(
  () => [NAME, column('Handler', 'string', protoDoc('node.v1.RuntimeClass', 'handler')), AGE],
  (o, now) => [name(o), str(o.handler), age(o, now)],
);

export const priorityClassPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('Value', 'integer', protoDoc('scheduling.v1.PriorityClass', 'value')),
    column('Global-Default', 'boolean', protoDoc('scheduling.v1.PriorityClass', 'globalDefault')),
    AGE,
    column('PreemptionPolicy', 'string', protoDoc('scheduling.v1.PriorityClass', 'preemptionPolicy')),
  ],
  (o, now) => [name(o), int(o.value), o.globalDefault === true, age(o, now), str(o.preemptionPolicy)],
);

/** kube-aggregator's APIService table: the backing service ("Local" when served here) and availability. */
export const apiServicePrinter: Printer = {
  columns: [
    NAME,
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    AGE,
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const service = spec.service ? `${str(obj(spec.service).namespace)}/${str(obj(spec.service).name)}` : 'Local';
    const c = arr(obj(o.status).conditions).find((x) => x.type === 'Available');
    let available = 'Unknown';
    if (c) available = c.status === 'True' || !str(c.reason) ? str(c.status) : `${str(c.status)} (${str(c.reason)})`;
    return [name(o), service, available, age(o, now)];
  },
};
