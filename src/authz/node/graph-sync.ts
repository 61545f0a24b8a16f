/**
 * Keeps the NodeGraph equal to the store (upstream graph_populator.go): list pods, persistent
 * volumes and volume attachments at one revision, then watch each from that revision and apply
 * every event to the one owner vertex it names (through the store's reflector: a broken watch
 * relists and rebuilds, and the rebuild is one synchronous step no decision can see half of).
 */
import type { PersistentVolume, Pod } from 'kubernetes-types/core/v1.js';
import { reflect, type Reflection, type ReflectorOptions } from '../../storage/reflector.ts';
import type { Store, WatchEvent } from '../../storage/types.ts';
import { NodeGraph, vertexId } from './graph.ts';
import { podReferences, pvReferences } from './references.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

export const POD_PREFIX = builtinPrefix('', 'pods');
export const PV_PREFIX = builtinPrefix('', 'persistentvolumes');
export const VA_PREFIX = builtinPrefix('storage.k8s.io', 'volumeattachments');

interface Source {
  prefix: string;
  namespaced: boolean;
  apply(graph: NodeGraph, namespace: string, name: string, value: unknown): void;
  remove(graph: NodeGraph, namespace: string, name: string): void;
}

const SOURCES: readonly Source[] = [
  { prefix: POD_PREFIX, namespaced: true, apply: applyPod, remove: (g, ns, n) => g.deleteOwner(vertexId('pod', ns, n)) },
  { prefix: PV_PREFIX, namespaced: false, apply: applyPv, remove: (g, _ns, n) => g.deleteOwner(vertexId('pv', '', n)) },
  { prefix: VA_PREFIX, namespaced: false, apply: applyVolumeAttachment, remove: (g, _ns, n) => g.deleteOwner(vertexId('volumeattachment', '', n)) },
];

export type GraphSync = Reflection;
export type GraphSyncOptions = ReflectorOptions;

export function syncNodeGraph(store: Pick<Store, 'currentRevision' | 'list' | 'watch'>, graph: NodeGraph, opts: GraphSyncOptions = {}): GraphSync {
  return reflect(
    store,
    SOURCES.map((s) => s.prefix),
    {
      replace(lists) {
        graph.clear();
        lists.forEach((l, i) => {
          const src = SOURCES[i]!;
          for (const item of l.items) {
            const { namespace, name } = parseKey(src, item.key);
            src.apply(graph, namespace, name, item.value);
          }
        });
      },
      event: (i, e) => applyEvent(graph, SOURCES[i]!, e),
    },
    opts,
  );
}

function applyEvent(graph: NodeGraph, src: Source, e: WatchEvent): void {
  const { namespace, name } = parseKey(src, e.key);
  if (e.type === 'DELETED') src.remove(graph, namespace, name);
  else src.apply(graph, namespace, name, e.value);
}

/** The identity comes from the key, which the store owns. */
function parseKey(src: Source, key: string): { namespace: string; name: string } {
  const rest = key.slice(src.prefix.length);
  if (!src.namespaced) return { namespace: '', name: rest };
  const slash = rest.indexOf('/');
  return { namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

/** Only a pod bound to a node grants anything; an unbound (or unbound-again) pod owns no edges. */
export function applyPod(graph: NodeGraph, namespace: string, name: string, value: unknown): void {
  const pod = value as Pod;
  const podId = vertexId('pod', namespace, name);
  const nodeName = pod.spec?.nodeName ?? '';
  if (!nodeName) {
    graph.deleteOwner(podId);
    return;
  }
  const refs = podReferences(pod, name);
  const from: string[] = [];
  for (const s of refs.secrets) from.push(vertexId('secret', namespace, s));
  for (const c of refs.configMaps) from.push(vertexId('configmap', namespace, c));
  for (const c of refs.pvcs) from.push(vertexId('pvc', namespace, c));
  if (refs.serviceAccount) from.push(vertexId('serviceAccount', namespace, refs.serviceAccount));
  graph.setOwner(podId, from, [vertexId('node', '', nodeName)]);
}

/** A PV grants access through the claim it is bound to (spec.claimRef), as upstream does. */
export function applyPv(graph: NodeGraph, _namespace: string, name: string, value: unknown): void {
  const pvId = vertexId('pv', '', name);
  const refs = pvReferences(value as PersistentVolume);
  if (!refs.claim) {
    graph.deleteOwner(pvId);
    return;
  }
  const secrets = refs.secrets.map((s) => vertexId('secret', s.namespace, s.name));
  graph.setOwner(pvId, secrets, [vertexId('pvc', refs.claim.namespace, refs.claim.name)]);
}

export function applyVolumeAttachment(graph: NodeGraph, _namespace: string, name: string, value: unknown): void {
  const vaId = vertexId('volumeattachment', '', name);
  const nodeName = (value as { spec?: { nodeName?: string } }).spec?.nodeName ?? '';
  if (!nodeName) graph.deleteOwner(vaId);
  else graph.setOwner(vaId, [], [vertexId('node', '', nodeName)]);
}
