/** Core (v1) kinds other than pods and events, after upstream's printers. */
import { doc } from '../field-docs.ts';
import { since } from '../duration.ts';
import { accessModes, arr, count, formatLabels, int, obj, str, storageOf } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { AGE, NAME } from './meta.ts';

const name = (o: Obj): string => str(obj(o.metadata).name);
const age = (o: Obj, now: Date): string => since(obj(o.metadata).creationTimestamp, now);

export const namespacePrinter: Printer = {
  columns: [NAME, column('Status', 'string', 'The status of the namespace'), AGE],
  cells: (o, now) => [name(o), str(obj(o.status).phase), age(o, now)],
};

export const configMapPrinter: Printer = {
  columns: [NAME, column('Data', 'string', doc('core/v1:ConfigMap.data')), AGE],
  cells: (o, now) => [name(o), count(o.data) + count(o.binaryData), age(o, now)],
};

export const secretPrinter: Printer = {
  columns: [NAME, column('Type', 'string', doc('core/v1:Secret.type')), column('Data', 'string', doc('core/v1:Secret.data')), AGE],
  cells: (o, now) => [name(o), str(o.type), count(o.data), age(o, now)],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME, column('Secrets', 'string', doc('core/v1:ServiceAccount.secrets')), AGE],
  cells: (o, now) => [name(o), count(o.secrets), age(o, now)],
};

/** loadBalancerStatusStringer with wide output: the server always prints wide, so no clipping. */
export function loadBalancerIngress(ingress: unknown): string {
  const set = new Set<string>();
  for (const i of arr(ingress)) {
    if (i.ip) set.add(str(i.ip));
    else if (i.hostname) set.add(str(i.hostname));
  }
  return [...set].sort().join(',');
}

function serviceExternalIP(svc: Obj): string {
  const spec = obj(svc.spec);
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(obj(obj(svc.status).loadBalancer).ingress);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
  }
  return '<unknown>';
}

/** makePortString: port/protocol, with the node port when there is one. */
export function servicePorts(ports: unknown): string {
  return arr(ports)
    .map((p) => (int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${str(p.protocol)}` : `${int(p.port)}/${str(p.protocol)}`))
    .join(',');
}

export const servicePrinter: Printer = {
  columns: [
    NAME,
    column('Type', 'string', doc('core/v1:ServiceSpec.type')),
    column('Cluster-IP', 'string', doc('core/v1:ServiceSpec.clusterIP')),
    column('External-IP', 'string', doc('core/v1:ServiceSpec.externalIPs')),
    column('Port(s)', 'string', doc('core/v1:ServiceSpec.ports')),
    AGE,
    column('Selector', 'string', doc('core/v1:ServiceSpec.selector'), { priority: 1 }),
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const ips = arr(spec.clusterIPs).map(str);
    const clusterIP = ips[0] ?? (spec.clusterIP ? str(spec.clusterIP) : '<none>');
    return [name(o), str(spec.type), clusterIP, serviceExternalIP(o), servicePorts(spec.ports) || '<none>', age(o, now), formatLabels(spec.selector)];
  },
};

/** formatEndpoints: up to three host:port pairs, then "+ N more...". */
function formatEndpoints(subsets: unknown): string {
  const ss = arr(subsets);
  if (ss.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let total = 0;
  for (const s of ss) {
    const addrs = arr(s.addresses);
    const ports = arr(s.ports);
    if (ports.length === 0) {
      total += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a.ip));
      }
      continue;
    }
    for (const p of ports) {
      total += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        const ip = str(a.ip);
        list.push(ip.includes(':') ? `[${ip}]:${int(p.port)}` : `${ip}:${int(p.port)}`);
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${total - max} more...` : ret;
}

export const endpointsPrinter: Printer = {
  columns: [NAME, column('Endpoints', 'string', doc('core/v1:Endpoints.subsets')), AGE],
  cells: (o, now) => [name(o), formatEndpoints(o.subsets), age(o, now)],
};

function nodeRoles(node: Obj): string {
  const roles = new Set<string>();
  const labels = obj(obj(node.metadata).labels);
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') {
      roles.add(str(v));
    }
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(node: Obj, type: string): string {
  const a = arr(obj(node.status).addresses).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE,
    column('Version', 'string', doc('core/v1:NodeSystemInfo.kubeletVersion')),
    column('Internal-IP', 'string', doc('core/v1:NodeStatus.addresses'), { priority: 1 }),
    column('External-IP', 'string', doc('core/v1:NodeStatus.addresses'), { priority: 1 }),
    column('OS-Image', 'string', doc('core/v1:NodeSystemInfo.osImage'), { priority: 1 }),
    column('Kernel-Version', 'string', doc('core/v1:NodeSystemInfo.kernelVersion'), { priority: 1 }),
    column('Container-Runtime', 'string', doc('core/v1:NodeSystemInfo.containerRuntimeVersion'), { priority: 1 }),
  ],
  cells(o, now) {
    const status = obj(o.status);
    // Upstream keeps the last condition of each type; only Ready is shown.
    const ready = arr(status.conditions).findLast((c) => c.type === 'Ready');
    const parts = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
    if (obj(o.spec).unschedulable === true) parts.push('SchedulingDisabled');
    const info = obj(status.nodeInfo);
    const orUnknown = (v: unknown): string => str(v) || '<unknown>';
    return [
      name(o),
      parts.join(','),
      nodeRoles(o),
      age(o, now),
      str(info.kubeletVersion),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      orUnknown(info.osImage),
      orUnknown(info.kernelVersion),
      orUnknown(info.containerRuntimeVersion),
    ];
  },
};

/** printResourceQuota: "resource: used/hard" sorted by name, limits.* in their own column. */
function quotaCells(o: Obj): [string, string] {
  const status = obj(o.status);
  const hard = obj(status.hard);
  const used = obj(status.used);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const r of Object.keys(hard).sort()) {
    const pieces = r.split('.');
    const target = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
    target.push(`${r}: ${used[r] === undefined ? '0' : str(used[r])}/${str(hard[r])}`);
  }
  return [requests.join(', '), limits.join(', ')];
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    AGE,
  ],
  cells: (o, now) => [name(o), ...quotaCells(o), age(o, now)],
};

const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function storageClass(o: Obj): string {
  const ann = obj(obj(o.metadata).annotations);
  if (Object.hasOwn(ann, STORAGE_CLASS_ANNOTATION)) return str(ann[STORAGE_CLASS_ANNOTATION]);
  return str(obj(o.spec).storageClassName);
}

const unset = (v: unknown): string => (v === undefined || v === null ? '<unset>' : str(v));

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME,
    column('Capacity', 'string', doc('core/v1:PersistentVolumeSpec.capacity')),
    column('Access Modes', 'string', doc('core/v1:PersistentVolumeSpec.accessModes')),
    column('Reclaim Policy', 'string', doc('core/v1:PersistentVolumeSpec.persistentVolumeReclaimPolicy')),
    column('Status', 'string', doc('core/v1:PersistentVolumeStatus.phase')),
    column('Claim', 'string', doc('core/v1:PersistentVolumeSpec.claimRef')),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', doc('core/v1:PersistentVolumeStatus.reason')),
    AGE,
    column('VolumeMode', 'string', doc('core/v1:PersistentVolumeSpec.volumeMode'), { priority: 1 }),
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const claim = spec.claimRef ? `${str(obj(spec.claimRef).namespace)}/${str(obj(spec.claimRef).name)}` : '';
    const phase = obj(o.metadata).deletionTimestamp ? 'Terminating' : str(obj(o.status).phase);
    return [
      name(o),
      storageOf(spec.capacity),
      accessModes(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy),
      phase,
      claim,
      storageClass(o),
      unset(spec.volumeAttributesClassName),
      str(obj(o.status).reason),
      age(o, now),
      unset(spec.volumeMode),
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', doc('core/v1:PersistentVolumeClaimStatus.phase')),
    column('Volume', 'string', doc('core/v1:PersistentVolumeClaimSpec.volumeName')),
    column('Capacity', 'string', doc('core/v1:PersistentVolumeClaimStatus.capacity')),
    column('Access Modes', 'string', doc('core/v1:PersistentVolumeClaimStatus.accessModes')),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE,
    column('VolumeMode', 'string', doc('core/v1:PersistentVolumeClaimSpec.volumeMode'), { priority: 1 }),
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const phase = obj(o.metadata).deletionTimestamp ? 'Terminating' : str(status.phase);
    const bound = str(spec.volumeName) !== '';
    return [
      name(o),
      phase,
      str(spec.volumeName),
      bound ? storageOf(status.capacity) : '',
      bound ? accessModes(status.accessModes) : '',
      storageClass(o),
      unset(spec.volumeAttributesClassName),
      age(o, now),
      unset(spec.volumeMode),
    ];
  },
};
