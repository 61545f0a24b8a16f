/**
 * The controllers the controller manager can run, by upstream's names
 * (cmd/kube-controller-manager/names): one entry per controller, so adding one is one line here.
 * Each runs with its own client as system:serviceaccount:kube-system:<serviceAccount> (upstream's
 * --use-service-account-credentials; the bootstrap role system:controller:<serviceAccount> is bound
 * to that account), over the manager's shared informers.
 */
import { RateLimitedQueue } from '../client/work-queue.ts';
import type { ApiClient, Controller, InformerFactory, WorkQueue } from '../client/types.ts';
import type { ControllerLog } from './queue-controller.ts';
import { newReplicaSetController } from './replicaset.ts';
import { newReplicationController } from './replication.ts';
import { newDeploymentController } from './deployment/controller.ts';
import { newJobController } from './job/controller.ts';
import { newCronJobController } from './cronjob/controller.ts';
import { newTtlAfterFinishedController } from './ttl-after-finished.ts';
import { newStatefulSetController } from './statefulset/controller.ts';
import { newDaemonSetController } from './daemonset/controller.ts';
import { newEndpointsController } from './endpoints/controller.ts';
import { newEndpointSliceController } from './endpointslice/controller.ts';
import { newDisruptionController } from './disruption/controller.ts';
import { newNodeLifecycleController } from './node-lifecycle/controller.ts';
import { newTaintEvictionController } from './node-lifecycle/taint-eviction.ts';
import { newCsrApprovingController } from './certificates/approver.ts';
import { newCsrSigningController } from './certificates/signer.ts';
import type { CertKeyPem } from '../../pki/ca.ts';
import { newPodGCController } from './podgc.ts';
import { newHpaController } from './hpa/controller.ts';
import { newPersistentVolumeBinder } from './volume/binder.ts';
import { newPvcProtectionController, newPvProtectionController, PVC_PROTECTION_CONTROLLER, PV_PROTECTION_CONTROLLER } from './volume/protection.ts';
import { newServiceAccountController } from './service-account.ts';
import { newRootCaPublisher } from './root-ca-publisher.ts';
import { newResourceQuotaController } from './resource-quota.ts';
import { newNamespaceController } from './namespace.ts';
import { newGarbageCollector } from './garbage-collector.ts';
import { newNodeIpamController } from './nodeipam.ts';
import { newTokenCleaner, TOKEN_CLEANER_CONTROLLER } from './token-cleaner.ts';
import type { ResourceDiscovery } from './resource-discovery.ts';
import { newPolicyReportsController, POLICY_REPORTS_CONTROLLER, POLICY_REPORTS_SERVICE_ACCOUNT } from './policy-reports/controller.ts';

/** What every controller factory is given. */
export interface ControllerDeps {
  /** The controller's own client (its identity, its RBAC). */
  client: ApiClient;
  /** The manager's shared informers (one list+watch per resource for all controllers). */
  informers: InformerFactory;
  log: ControllerLog;
  now: () => number;
  random: () => number;
  /** The cluster CA certificate and key the CSR signer signs with (upstream's --cluster-signing-{cert,key}-file). */
  clusterSigningCa?: CertKeyPem;
  /** A fresh rate-limited work queue named after the controller. */
  newQueue(): WorkQueue;
  /**
   * The resources served now (namespace deletion, quota, garbage collection act on every one);
   * a controller that needs it and is not given it fails to start, with the reason logged.
   */
  discovery?: ResourceDiscovery;
  /** The cluster CA certificate published as kube-root-ca.crt (upstream's --root-ca-file). */
  caPem?: string;
  /** --cluster-cidr: the node IPAM controller cuts each Node's podCIDR from it. */
  clusterCIDR?: string;
}

function need<T>(controller: string, what: string, v: T | undefined): T {
  if (v === undefined) throw new Error(`${controller} needs ${what}, which this controller manager was not given`);
  return v;
}

export interface ControllerDescriptor {
  /** Upstream's canonical name, as --controllers takes it. */
  name: string;
  /** Older names --controllers also accepts (upstream's ControllerDescriptor aliases). */
  aliases?: readonly string[];
  /** The kube-system ServiceAccount whose identity the controller acts as (upstream's client name). */
  serviceAccount: string;
  /** Not run by '*' (upstream's isDisabledByDefault). */
  disabledByDefault?: boolean;
  /** Concurrent syncs (upstream's --concurrent-*-syncs defaults). */
  workers: number;
  start(deps: ControllerDeps): Controller;
}

export const CONTROLLERS: readonly ControllerDescriptor[] = Object.freeze([
  { name: 'replicaset-controller', aliases: ['replicaset'], serviceAccount: 'replicaset-controller', workers: 5, start: (d) => newReplicaSetController({ ...d, queue: d.newQueue() }) },
  { name: 'replicationcontroller-controller', aliases: ['replicationcontroller'], serviceAccount: 'replication-controller', workers: 5, start: (d) => newReplicationController({ ...d, queue: d.newQueue() }) },
  { name: 'deployment-controller', aliases: ['deployment'], serviceAccount: 'deployment-controller', workers: 5, start: (d) => newDeploymentController({ ...d, queue: d.newQueue() }) },
  { name: 'job-controller', aliases: ['job'], serviceAccount: 'job-controller', workers: 5, start: (d) => newJobController({ ...d, queue: d.newQueue() }) },
  { name: 'cronjob-controller', aliases: ['cronjob'], serviceAccount: 'cronjob-controller', workers: 5, start: (d) => newCronJobController({ ...d, queue: d.newQueue() }) },
  { name: 'ttl-after-finished-controller', aliases: ['ttl-after-finished'], serviceAccount: 'ttl-after-finished-controller', workers: 5, start: (d) => newTtlAfterFinishedController({ ...d, queue: d.newQueue() }) },
  { name: 'statefulset-controller', aliases: ['statefulset'], serviceAccount: 'statefulset-controller', workers: 5, start: (d) => newStatefulSetController({ ...d, queue: d.newQueue() }) },
  { name: 'daemonset-controller', aliases: ['daemonset'], serviceAccount: 'daemon-set-controller', workers: 2, start: (d) => newDaemonSetController({ ...d, queue: d.newQueue() }) },
  { name: 'endpoints-controller', aliases: ['endpoint'], serviceAccount: 'endpoint-controller', workers: 5, start: (d) => newEndpointsController({ ...d, queue: d.newQueue() }) },
  { name: 'endpointslice-controller', aliases: ['endpointslice'], serviceAccount: 'endpointslice-controller', workers: 5, start: (d) => newEndpointSliceController({ ...d, queue: d.newQueue() }) },
  { name: 'disruption-controller', aliases: ['disruption'], serviceAccount: 'disruption-controller', workers: 1, start: (d) => newDisruptionController({ ...d, queue: d.newQueue() }) },
  { name: 'node-lifecycle-controller', aliases: ['nodelifecycle'], serviceAccount: 'node-controller', workers: 8, start: (d) => newNodeLifecycleController({ ...d, queue: d.newQueue() }) },
  { name: 'taint-eviction-controller', serviceAccount: 'node-controller', workers: 1, start: (d) => newTaintEvictionController(d) },
  { name: 'certificatesigningrequest-approving-controller', aliases: ['csrapproving'], serviceAccount: 'certificate-controller', workers: 5, start: (d) => newCsrApprovingController({ ...d, queue: d.newQueue() }) },
  { name: 'certificatesigningrequest-signing-controller', aliases: ['csrsigning'], serviceAccount: 'certificate-controller', workers: 5, start: (d) => newCsrSigningController({ ...d, queue: d.newQueue(), ca: d.clusterSigningCa ?? missingSigningCa() }) },
  { name: 'pod-garbage-collector-controller', aliases: ['podgc'], serviceAccount: 'pod-garbage-collector', workers: 1, start: (d) => newPodGCController({ ...d, queue: d.newQueue() }) },
  { name: 'horizontal-pod-autoscaler-controller', aliases: ['horizontalpodautoscaling'], serviceAccount: 'horizontal-pod-autoscaler', workers: 5, start: (d) => newHpaController({ ...d, queue: d.newQueue() }) },
  { name: 'persistentvolume-binder-controller', aliases: ['persistentvolume-binder'], serviceAccount: 'persistent-volume-binder', workers: 1, start: (d) => newPersistentVolumeBinder({ ...d, queue: d.newQueue() }) },
  // The StorageObjectInUseProtection admission plugin's finalizers are removed by these two.
  { name: PVC_PROTECTION_CONTROLLER, aliases: ['pvc-protection'], serviceAccount: 'pvc-protection-controller', workers: 1, start: (d) => newPvcProtectionController({ ...d, queue: d.newQueue() }) },
  { name: PV_PROTECTION_CONTROLLER, aliases: ['pv-protection'], serviceAccount: 'pv-protection-controller', workers: 1, start: (d) => newPvProtectionController({ ...d, queue: d.newQueue() }) },
  { name: 'serviceaccount-controller', aliases: ['serviceaccount'], serviceAccount: 'service-account-controller', workers: 1, start: (d) => newServiceAccountController({ ...d, queue: d.newQueue() }) },
  { name: 'root-ca-certificate-publisher-controller', aliases: ['root-ca-cert-publisher'], serviceAccount: 'root-ca-cert-publisher', workers: 1, start: (d) => newRootCaPublisher({ ...d, queue: d.newQueue(), caPem: need('root-ca-certificate-publisher-controller', 'the root CA certificate', d.caPem) }) },
  { name: 'resourcequota-controller', aliases: ['resourcequota'], serviceAccount: 'resourcequota-controller', workers: 5, start: (d) => newResourceQuotaController({ ...d, queue: d.newQueue(), discovery: need('resourcequota-controller', 'resource discovery', d.discovery), now: () => new Date(d.now()) }) },
  { name: 'namespace-controller', aliases: ['namespace'], serviceAccount: 'namespace-controller', workers: 10, start: (d) => newNamespaceController({ ...d, queue: d.newQueue(), discovery: need('namespace-controller', 'resource discovery', d.discovery) }) },
  // Upstream runs it always and it does nothing without --allocate-node-cidrs; here it is off unless a
  // cluster CIDR is given (portcullis up gives one and turns it on).
  { name: 'node-ipam-controller', aliases: ['nodeipam'], serviceAccount: 'node-controller', disabledByDefault: true, workers: 1, start: (d) => newNodeIpamController({ ...d, queue: d.newQueue(), clusterCIDR: need('node-ipam-controller', 'the cluster CIDR (--cluster-cidr)', d.clusterCIDR) }) },
  // Off by default as upstream (kubeadm turns it on with --controllers=*,tokencleaner; so does portcullis up with bootstrap token auth).
  { name: TOKEN_CLEANER_CONTROLLER, aliases: ['tokencleaner'], serviceAccount: 'token-cleaner', disabledByDefault: true, workers: 1, start: (d) => newTokenCleaner({ ...d, queue: d.newQueue() }) },
  { name: 'garbage-collector-controller', aliases: ['garbagecollector'], serviceAccount: 'generic-garbage-collector', workers: 20, start: (d) => newGarbageCollector({ ...d, queue: d.newQueue(), discovery: need('garbage-collector-controller', 'resource discovery', d.discovery) }) },
  // Portcullis's own: ValidatingAdmissionPolicies against existing objects, as wgpolicyk8s.io reports.
  { name: POLICY_REPORTS_CONTROLLER, serviceAccount: POLICY_REPORTS_SERVICE_ACCOUNT, workers: 2, start: (d) => newPolicyReportsController({ ...d, queue: d.newQueue(), discovery: need(POLICY_REPORTS_CONTROLLER, 'resource discovery', d.discovery) }) },
]);

/**
 * The controllers API tests rely on as on a part of the API server (default ServiceAccounts,
 * kube-root-ca.crt, namespace deletion, quota status, garbage collection, the storage protection
 * finalizers' removal, without which no claim or volume could be deleted): test clusters run
 * these by default, and no workload controller.
 */
export const CORE_CONTROLLERS: readonly string[] = Object.freeze(['serviceaccount-controller', 'root-ca-certificate-publisher-controller', 'resourcequota-controller', 'namespace-controller', 'garbage-collector-controller', PVC_PROTECTION_CONTROLLER, PV_PROTECTION_CONTROLLER]);

/** The signing controller without the CA fails to start (logged by the manager) rather than run unable to sign. */
function missingSigningCa(): never {
  throw new Error('certificatesigningrequest-signing-controller needs the cluster signing CA, which this controller manager was not given');
}

export function newControllerQueue(name: string, now: () => number): WorkQueue {
  return new RateLimitedQueue({ name, now });
}

/**
 * The controllers a --controllers list selects, as upstream: '*' is every controller not disabled
 * by default, 'foo' enables foo, '-foo' disables it, the first entry naming a controller decides;
 * aliases name their controller; a name that is no controller is an error (not ignored).
 */
export function selectControllers(spec: readonly string[], known: readonly ControllerDescriptor[] = CONTROLLERS): ControllerDescriptor[] {
  const byName = new Map<string, ControllerDescriptor>();
  for (const c of known) for (const n of [c.name, ...(c.aliases ?? [])]) byName.set(n, c);
  const canonical: string[] = [];
  const errors: string[] = [];
  for (const entry of spec) {
    if (entry === '*') {
      canonical.push('*');
      continue;
    }
    const bare = entry.startsWith('-') ? entry.slice(1) : entry;
    const c = byName.get(bare);
    if (!c) errors.push(`${JSON.stringify(bare)} is not in the list of known controllers`);
    else canonical.push(entry.startsWith('-') ? `-${c.name}` : c.name);
  }
  if (errors.length) throw new Error(`--controllers: ${errors.join(', ')}`);
  return known.filter((c) => {
    let star = false;
    for (const e of canonical) {
      if (e === c.name) return true;
      if (e === `-${c.name}`) return false;
      if (e === '*') star = true;
    }
    return star && !c.disabledByDefault;
  });
}
