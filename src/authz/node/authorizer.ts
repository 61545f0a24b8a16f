/**
 * The Node authorizer (upstream plugin/pkg/auth/authorizer/node/node_authorizer.go): a kubelet
 * (user `system:node:<name>` in group `system:nodes`) may read secrets, configmaps, PVCs, PVs and
 * volume attachments, and mint service account tokens, only when the graph links the object to a
 * pod bound to its node. It reads only its own Node and lists/watches only its own pods (the
 * selector rules of upstream's AuthorizeNodeWithSelectors, GA in 1.34). Other resources are held
 * to the static node rules. It never denies: a refusal is no-opinion with a reason, and the union
 * (RBAC next) decides.
 */
import type { Store } from '../../storage/types.ts';
import { ruleAllows } from '../rbac/rule-match.ts';
import type { Authorizer, AuthzAttributes, AuthzResult } from '../types.ts';
import { NodeGraph, vertexId, type VertexType } from './graph.ts';
import { syncNodeGraph, type GraphSyncOptions } from './graph-sync.ts';
import { NODE_RULES } from './node-rules.ts';

export const NODE_USER_PREFIX = 'system:node:';
export const GROUP_NODES = 'system:nodes';
export const NAMESPACE_NODE_LEASE = 'kube-node-lease';

/** The node name, '' for a node user with an empty name, undefined for anyone not a node. */
export function nodeIdentity(user: { username: string; groups: readonly string[] }): string | undefined {
  if (!user.username.startsWith(NODE_USER_PREFIX)) return undefined;
  if (!user.groups.includes(GROUP_NODES)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length);
}

const allow: AuthzResult = { decision: 'allow', reason: '' };
const noOpinion = (reason: string): AuthzResult => ({ decision: 'no-opinion', reason });

export class NodeAuthorizer implements Authorizer {
  readonly name = 'Node';
  readonly graph: NodeGraph;

  constructor(graph: NodeGraph = new NodeGraph()) {
    this.graph = graph;
  }

  async authorize(a: Readonly<AuthzAttributes>): Promise<AuthzResult> {
    return this.authorizeSync(a);
  }

  authorizeSync(a: Readonly<AuthzAttributes>): AuthzResult {
    const node = nodeIdentity(a.user);
    if (node === undefined) return noOpinion('');
    if (node === '') return noOpinion(`unknown node for user "${a.user.username}"`);
    if (a.isResourceRequest) {
      switch (`${a.apiGroup}/${a.resource}`) {
        case '/secrets':
          return this.#readNamespaced(node, 'secret', a);
        case '/configmaps':
          return this.#readNamespaced(node, 'configmap', a);
        case '/persistentvolumeclaims':
          return a.subresource === 'status' ? this.#statusUpdate(node, 'pvc', a) : this.#get(node, 'pvc', a);
        case '/persistentvolumes':
          return this.#get(node, 'pv', a);
        case 'storage.k8s.io/volumeattachments':
          return this.#get(node, 'volumeattachment', a);
        case '/serviceaccounts':
          return this.#createToken(node, a);
        case 'coordination.k8s.io/leases':
          return lease(node, a);
        case 'storage.k8s.io/csinodes':
          return csiNode(node, a);
        case '/nodes':
          return nodeObject(node, a);
        case '/pods':
          return this.#pod(node, a);
      }
    }
    // Everything else is not subdivided: the static node rules decide.
    return NODE_RULES.some((r) => ruleAllows(a, r)) ? allow : noOpinion('');
  }

  #readNamespaced(node: string, type: VertexType, a: Readonly<AuthzAttributes>): AuthzResult {
    if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.#path(node, type, a);
  }

  #get(node: string, type: VertexType, a: Readonly<AuthzAttributes>): AuthzResult {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.#path(node, type, a);
  }

  #statusUpdate(node: string, type: VertexType, a: Readonly<AuthzAttributes>): AuthzResult {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    if (a.subresource !== 'status') return noOpinion('can only update status subresource');
    return this.#path(node, type, a);
  }

  #createToken(node: string, a: Readonly<AuthzAttributes>): AuthzResult {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.#path(node, 'serviceAccount', a);
  }

  /** Pods: writes NodeRestriction limits to the node's own; reads only of pods bound to it. */
  #pod(node: string, a: Readonly<AuthzAttributes>): AuthzResult {
    switch (a.subresource) {
      case '':
        if (a.verb === 'get') return this.#get(node, 'pod', a);
        if (a.verb === 'list' || a.verb === 'watch') {
          // A selector pinning spec.nodeName to this node scopes the whole list; any further
          // requirement only narrows it.
          if (a.fieldSelector?.some((r) => r.field === 'spec.nodeName' && r.operator === '=' && r.value === node)) return allow;
          // A list/watch of one pod (fieldSelector=metadata.name=...) is a read of that pod.
          if (a.name) return this.#path(node, 'pod', a);
          return noOpinion('can only list/watch pods with spec.nodeName field selector');
        }
        // Mirror pods.
        if (a.verb === 'create' || a.verb === 'delete') return allow;
        break;
      case 'status':
        if (a.verb === 'update' || a.verb === 'patch') return allow;
        break;
      case 'eviction':
        if (a.verb === 'create') return allow;
        break;
    }
    return noOpinion('');
  }

  #path(node: string, type: VertexType, a: Readonly<AuthzAttributes>): AuthzResult {
    if (!a.name) return noOpinion('No Object name found');
    const namespace = type === 'pv' || type === 'volumeattachment' ? '' : a.namespace;
    if (!this.graph.hasPath(vertexId(type, namespace, a.name), vertexId('node', '', node))) {
      return noOpinion(`no relationship found between node '${node}' and this object`);
    }
    return allow;
  }
}

/** Nodes: a kubelet reads its own Node by name, even before the graph knows it (before it registered). */
function nodeObject(node: string, a: Readonly<AuthzAttributes>): AuthzResult {
  if (a.subresource === '') {
    // NodeRestriction limits writes to the node's own object.
    if (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch') return allow;
    if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') {
      if (a.name === node) return allow;
      if (a.name === '') return noOpinion(`node '${node}' cannot read all nodes, only its own Node object`);
      return noOpinion(`node '${node}' cannot read '${a.name}', only its own Node object`);
    }
  } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
    return allow;
  }
  return noOpinion('');
}

function lease(node: string, a: Readonly<AuthzAttributes>): AuthzResult {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
  if (a.namespace !== NAMESPACE_NODE_LEASE) return noOpinion(`can only access leases in the "${NAMESPACE_NODE_LEASE}" system namespace`);
  // The name is unknown on create; NodeRestriction checks it there.
  if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
  return allow;
}

function csiNode(node: string, a: Readonly<AuthzAttributes>): AuthzResult {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a CSINode');
  if (a.subresource) return noOpinion('cannot authorize CSINode subresources');
  if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access CSINode with the same name as the requesting node');
  return allow;
}

export interface NodeAuthorizerHandle {
  authorizer: NodeAuthorizer;
  /** Resolves once the graph holds the initial lists. */
  ready: Promise<void>;
  stop(): void;
}

/** The authorizer plus the watches that keep its graph current. */
export function startNodeAuthorizer(store: Pick<Store, 'currentRevision' | 'list' | 'watch'>, opts: GraphSyncOptions = {}): NodeAuthorizerHandle {
  const authorizer = new NodeAuthorizer();
  const sync = syncNodeGraph(store, authorizer.graph, opts);
  return { authorizer, ready: sync.ready, stop: sync.stop };
}
