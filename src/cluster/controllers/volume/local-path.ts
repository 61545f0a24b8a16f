/**
 * The local-path provisioner (after rancher/local-path-provisioner, run in-tree by the binder as
 * upstream runs its own volume plugins): a claim of a class with provisioner
 * portcullis.dev/local-path gets a PersistentVolume with spec.local at
 * <root>/<pv name>_<namespace>_<claim name> on the node the scheduler selected, and node affinity
 * to that node's kubernetes.io/hostname. The directory is the node agent's to make (when a pod
 * first uses it) and to remove: a released volume with reclaimPolicy Delete is deleted only once
 * that node's agent has removed its directory (DELETE /localPath/<pv>?uid=<uid> through the API
 * server's nodes/proxy; agent/volumes/local-path-records.ts), as rancher's runs a helper pod there.
 */
import { posix } from 'node:path';
import { isNotFound } from '../../client/errors.ts';
import type { K8sObject } from '../../client/types.ts';
import { volumeEvent, type BinderContext } from './binder-ops.ts';
import { ANN_DEFAULT_CLASS, ANN_SELECTED_NODE, type PV, type PVC, type StorageClass } from './volume-util.ts';

export const LOCAL_PATH_PROVISIONER = 'portcullis.dev/local-path';
export const LOCAL_PATH_CLASS = 'local-path';
/** Where volumes go when the class does not say (rancher's default is /opt/local-path-provisioner). */
export const DEFAULT_LOCAL_PATH_ROOT = '/var/lib/portcullis/local-path-provisioner';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** The default StorageClass `portcullis up` creates: WaitForFirstConsumer, so the pod's node decides. */
export function localPathStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [ANN_DEFAULT_CLASS]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** The class parameters the provisioner understands; any other is refused, as upstream's plugins do. */
const PARAMETERS = new Set(['nodePath']);

export interface ProvisionRequest {
  pvName: string;
  claim: PVC;
  storageClass: StorageClass;
  /** The node the scheduler selected (the claim's selected-node annotation), from the node informer. */
  node: K8sObject | undefined;
  /** The configured root directory. */
  root: string;
}

/** The volume to create, or the reason it cannot be made (a ProvisioningFailed event). */
export function provisionLocalPath(r: ProvisionRequest): { volume: PV } | { error: string } {
  const params: Record<string, string> = r.storageClass.parameters ?? {};
  for (const k of Object.keys(params)) if (!PARAMETERS.has(k)) return { error: `invalid option ${JSON.stringify(k)} for volume plugin ${LOCAL_PATH_PROVISIONER}` };
  if ((r.storageClass.mountOptions ?? []).length > 0) return { error: `Mount options are not supported by the provisioner but StorageClass ${JSON.stringify(r.storageClass.metadata.name)} has mount options [${r.storageClass.mountOptions.join(' ')}]` };
  const nodeName = r.claim.metadata.annotations?.[ANN_SELECTED_NODE];
  // A local volume lives on one node: without the scheduler's choice there is nowhere to put it.
  if (!nodeName) return { error: 'configuration error, no node was specified' };
  if (!r.node) return { error: `Failed to get target node: node "${nodeName}" not found` };
  const root = params.nodePath ?? r.root;
  if (!posix.isAbsolute(root)) return { error: `nodePath ${JSON.stringify(root)} is not an absolute path` };
  const claimName = String(r.claim.metadata.name);
  const dir = posix.join(root, `${r.pvName}_${r.claim.metadata.namespace}_${claimName}`);
  const hostname = r.node.metadata.labels?.[HOSTNAME_LABEL] ?? nodeName;
  const volumeMode = r.claim.spec?.volumeMode ?? 'Filesystem';
  if (volumeMode !== 'Filesystem') return { error: `volumeMode ${volumeMode} is not supported by ${LOCAL_PATH_PROVISIONER}` };
  return {
    volume: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: r.pvName },
      spec: {
        capacity: { storage: r.claim.spec?.resources?.requests?.storage },
        accessModes: [...(r.claim.spec?.accessModes ?? ['ReadWriteOnce'])],
        persistentVolumeReclaimPolicy: r.storageClass.reclaimPolicy ?? 'Delete',
        storageClassName: r.storageClass.metadata.name,
        volumeMode,
        local: { path: dir },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [hostname] }] }] } },
      },
    },
  };
}

/** The node a local-path volume's node affinity names (by its hostname label, else by name). */
function volumeNode(ctx: BinderContext, volume: PV): K8sObject | undefined {
  const terms: Array<{ matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> }> = volume.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  const hostname = terms.flatMap((t) => t.matchExpressions ?? []).find((e) => e.key === HOSTNAME_LABEL && e.operator === 'In')?.values?.[0];
  if (!hostname) return undefined;
  const node = ctx.nodes.list().find((n) => n.metadata.labels?.[HOSTNAME_LABEL] === hostname) ?? ctx.nodes.get('', hostname);
  return node;
}

/** A node whose kubelet is a Portcullis agent (it serves /localPath); a simulated or other kubelet does not. */
const isAgent = (node: K8sObject): boolean => /\+portcullis$/.test(String(node.status?.nodeInfo?.kubeletVersion ?? ''));

/**
 * Has the volume's node remove its directory. The agent answers 404 when it never made one (no pod
 * used the volume there): nothing to remove. Any other failure is a VolumeFailedDelete event and
 * an error, so the volume is synced again later. A node that is gone, or whose kubelet is not a
 * Portcullis agent (simulated nodes), has no directory this could reach: the volume goes, with a
 * VolumeDirectoryLeft Warning saying so.
 */
export async function removeLocalPathDirectory(ctx: BinderContext, volume: PV): Promise<void> {
  const name = String(volume.metadata.name);
  const fail = (why: string): never => {
    const message = `failed to remove the directory of local-path volume "${name}": ${why}`;
    volumeEvent(ctx, volume, 'Warning', 'VolumeFailedDelete', message);
    throw new Error(message);
  };
  const found = volumeNode(ctx, volume);
  // A node that is gone (or never ran an agent) has nothing this could reach: say so and go on.
  const left = (why: string) => volumeEvent(ctx, volume, 'Warning', 'VolumeDirectoryLeft', `the directory of local-path volume "${name}" is not removed: ${why}`);
  if (!found) return left('no node matches its node affinity');
  const node = String(found.metadata.name);
  if (!isAgent(found)) return left(`node ${node} is not run by a Portcullis agent`);
  if (!ctx.client.deletePath) return fail('this controller\'s client cannot reach node agents');
  try {
    await ctx.client.deletePath(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/localPath/${encodeURIComponent(name)}?uid=${encodeURIComponent(String(volume.metadata.uid ?? ''))}`);
  } catch (err) {
    if (isNotFound(err)) return;
    fail(`node ${node}: ${(err as Error).message}`);
  }
}
