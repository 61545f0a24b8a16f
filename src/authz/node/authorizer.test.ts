import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { openSqliteStore } from '../../storage/sqlite.ts';
import type { Store } from '../../storage/types.ts';
import { resourceAttrs } from '../rbac/testing.ts';
import type { AuthzAttributes } from '../types.ts';
import { UnionAuthorizer } from '../union.ts';
import { startNodeAuthorizer, type NodeAuthorizerHandle } from './authorizer.ts';
import { POD_PREFIX, PV_PREFIX, VA_PREFIX } from './graph-sync.ts';

const n1 = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const n2 = { username: 'system:node:n2', groups: ['system:nodes', 'system:authenticated'] };

function pod(name: string, nodeName: string | undefined, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns1' }, spec: { nodeName, containers: [{ name: 'c' }], ...spec } };
}

const richPod = pod('p1', 'n1', {
  serviceAccountName: 'sa1',
  imagePullSecrets: [{ name: 'pull' }],
  containers: [
    {
      name: 'c',
      env: [
        { name: 'A', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } },
      ],
      envFrom: [{ secretRef: { name: 'envfrom-secret' } }, { configMapRef: { name: 'envfrom-cm' } }],
    },
  ],
  initContainers: [{ name: 'i', env: [{ name: 'C', valueFrom: { secretKeyRef: { name: 'init-secret', key: 'k' } } }] }],
  volumes: [
    { name: 'sv', secret: { secretName: 'vol-secret' } },
    { name: 'cv', configMap: { name: 'vol-cm' } },
    { name: 'pj', projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-cm' } }] } },
    { name: 'csi', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-secret' } } },
    { name: 'data', persistentVolumeClaim: { claimName: 'claim1' } },
    { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
  ],
});

const pv = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: 'pv1' },
  spec: {
    claimRef: { namespace: 'ns1', name: 'claim1' },
    csi: {
      driver: 'd',
      volumeHandle: 'h',
      nodePublishSecretRef: { namespace: 'secrets-ns', name: 'pv-publish' },
      controllerPublishSecretRef: { namespace: 'secrets-ns', name: 'pv-controller' },
    },
  },
};

const get = (u: typeof n1, resource: string, name: string, namespace = 'ns1', group = '') => resourceAttrs(u, 'get', group, resource, { namespace, name });

async function withAuthorizer(fn: (store: Store, h: NodeAuthorizerHandle) => Promise<void>): Promise<void> {
  const store = openSqliteStore({ path: ':memory:' });
  const h = startNodeAuthorizer(store);
  try {
    await h.ready;
    await fn(store, h);
  } finally {
    h.stop();
    await store.close();
  }
}

async function decide(h: NodeAuthorizerHandle, a: AuthzAttributes): Promise<[string, string]> {
  const r = await h.authorizer.authorize(a);
  return [r.decision, r.reason];
}

const NO_REL = (node: string): string => `no relationship found between node '${node}' and this object`;

describe('NodeAuthorizer graph', () => {
  test('objects referenced by a pod bound to the node, and only those', async () => {
    await withAuthorizer(async (store, h) => {
      await store.create(POD_PREFIX + 'ns1/p1', richPod);
      await store.create(PV_PREFIX + 'pv1', pv);
      const cases: [string, AuthzAttributes, string][] = [
        ['secret via secret volume', get(n1, 'secrets', 'vol-secret'), 'allow'],
        ['secret via env secretKeyRef', get(n1, 'secrets', 'env-secret'), 'allow'],
        ['secret via envFrom', get(n1, 'secrets', 'envfrom-secret'), 'allow'],
        ['secret via init container env', get(n1, 'secrets', 'init-secret'), 'allow'],
        ['secret via imagePullSecrets', get(n1, 'secrets', 'pull'), 'allow'],
        ['secret via projected source', get(n1, 'secrets', 'proj-secret'), 'allow'],
        ['secret via inline CSI nodePublishSecretRef', get(n1, 'secrets', 'csi-secret'), 'allow'],
        ['configmap via volume', get(n1, 'configmaps', 'vol-cm'), 'allow'],
        ['configmap via env', get(n1, 'configmaps', 'env-cm'), 'allow'],
        ['configmap via envFrom', get(n1, 'configmaps', 'envfrom-cm'), 'allow'],
        ['configmap via projected source', get(n1, 'configmaps', 'proj-cm'), 'allow'],
        ['watch of a referenced secret by name', resourceAttrs(n1, 'watch', '', 'secrets', { namespace: 'ns1', name: 'vol-secret' }), 'allow'],
        ['pvc via volume', get(n1, 'persistentvolumeclaims', 'claim1'), 'allow'],
        ['pvc of a generic ephemeral volume', get(n1, 'persistentvolumeclaims', 'p1-scratch'), 'allow'],
        ['pvc status update', resourceAttrs(n1, 'update', '', 'persistentvolumeclaims', { namespace: 'ns1', name: 'claim1', subresource: 'status' }), 'allow'],
        ['pv bound to the pvc', get(n1, 'persistentvolumes', 'pv1', ''), 'allow'],
        ['pv node-publish secret', get(n1, 'secrets', 'pv-publish', 'secrets-ns'), 'allow'],
        ['pv controller secret is not for kubelets', get(n1, 'secrets', 'pv-controller', 'secrets-ns'), 'no-opinion'],
        ['service account token', resourceAttrs(n1, 'create', '', 'serviceaccounts', { namespace: 'ns1', name: 'sa1', subresource: 'token' }), 'allow'],
        ['token for another service account', resourceAttrs(n1, 'create', '', 'serviceaccounts', { namespace: 'ns1', name: 'other', subresource: 'token' }), 'no-opinion'],
        ['unreferenced secret', get(n1, 'secrets', 'unrelated'), 'no-opinion'],
        ['same name in another namespace', get(n1, 'secrets', 'vol-secret', 'ns2'), 'no-opinion'],
        ['another node', get(n2, 'secrets', 'vol-secret'), 'no-opinion'],
        ['another node, pv', get(n2, 'persistentvolumes', 'pv1', ''), 'no-opinion'],
      ];
      for (const [name, attrs, want] of cases) assert.equal((await h.authorizer.authorize(attrs)).decision, want, name);
      assert.deepEqual(await decide(h, get(n2, 'secrets', 'vol-secret')), ['no-opinion', NO_REL('n2')]);
    });
  });

  test('a PV grants nothing without a claimRef, and unbinding revokes', async () => {
    await withAuthorizer(async (store, h) => {
      await store.create(POD_PREFIX + 'ns1/p1', richPod);
      const created = await store.create(PV_PREFIX + 'pv1', { ...pv, spec: { ...pv.spec, claimRef: { namespace: 'ns1', name: 'claim1' } } });
      assert.equal((await h.authorizer.authorize(get(n1, 'persistentvolumes', 'pv1', ''))).decision, 'allow');
      await store.update(PV_PREFIX + 'pv1', { ...pv, spec: { csi: pv.spec.csi } }, created.modRevision);
      assert.equal((await h.authorizer.authorize(get(n1, 'persistentvolumes', 'pv1', ''))).decision, 'no-opinion');
      assert.equal((await h.authorizer.authorize(get(n1, 'secrets', 'pv-publish', 'secrets-ns'))).decision, 'no-opinion');
    });
  });

  test('a deleted pod takes its access with it at once', async () => {
    await withAuthorizer(async (store, h) => {
      await store.create(POD_PREFIX + 'ns1/p1', richPod);
      assert.equal((await h.authorizer.authorize(get(n1, 'secrets', 'vol-secret'))).decision, 'allow');
      await store.delete(POD_PREFIX + 'ns1/p1');
      for (const a of [get(n1, 'secrets', 'vol-secret'), get(n1, 'configmaps', 'vol-cm'), get(n1, 'persistentvolumeclaims', 'claim1')]) {
        assert.deepEqual(await decide(h, a), ['no-opinion', NO_REL('n1')]);
      }
    });
  });

  test('a pod rebound to another node: the old node loses access, the new one gains it', async () => {
    await withAuthorizer(async (store, h) => {
      const c = await store.create(POD_PREFIX + 'ns1/p1', richPod);
      await store.update(POD_PREFIX + 'ns1/p1', { ...richPod, spec: { ...richPod.spec, nodeName: 'n2' } }, c.modRevision);
      assert.equal((await h.authorizer.authorize(get(n1, 'secrets', 'vol-secret'))).decision, 'no-opinion');
      assert.equal((await h.authorizer.authorize(get(n2, 'secrets', 'vol-secret'))).decision, 'allow');
    });
  });

  test('a pod not yet scheduled grants nothing; scheduling it grants access', async () => {
    await withAuthorizer(async (store, h) => {
      const unbound = pod('p2', undefined, { volumes: [{ name: 'v', secret: { secretName: 's2' } }] });
      const c = await store.create(POD_PREFIX + 'ns1/p2', unbound);
      assert.equal((await h.authorizer.authorize(get(n1, 'secrets', 's2'))).decision, 'no-opinion');
      await store.update(POD_PREFIX + 'ns1/p2', { ...unbound, spec: { ...unbound.spec, nodeName: 'n1' } }, c.modRevision);
      assert.equal((await h.authorizer.authorize(get(n1, 'secrets', 's2'))).decision, 'allow');
    });
  });

  test('objects that existed before start come from the initial list', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.create(POD_PREFIX + 'ns1/p1', richPod);
    await store.create(VA_PREFIX + 'va1', { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: { name: 'va1' }, spec: { nodeName: 'n1' } });
    const h = startNodeAuthorizer(store);
    try {
      await h.ready;
      assert.equal((await h.authorizer.authorize(get(n1, 'secrets', 'env-secret'))).decision, 'allow');
      assert.equal((await h.authorizer.authorize(get(n1, 'volumeattachments', 'va1', '', 'storage.k8s.io'))).decision, 'allow');
      assert.equal((await h.authorizer.authorize(get(n2, 'volumeattachments', 'va1', '', 'storage.k8s.io'))).decision, 'no-opinion');
    } finally {
      h.stop();
      await store.close();
    }
  });
});

describe('NodeAuthorizer request shapes', () => {
  const ns = (verb: string, resource: string, opts: { namespace?: string; name?: string; subresource?: string; group?: string } = {}, u = n1) =>
    resourceAttrs(u, verb, opts.group ?? '', resource, { namespace: opts.namespace ?? 'ns1', name: opts.name, subresource: opts.subresource });
  const cases: [string, AuthzAttributes, string, string][] = [
    ['not a node user', ns('get', 'secrets', { name: 'vol-secret' }, { username: 'alice', groups: ['system:nodes'] }), 'no-opinion', ''],
    ['node name without the nodes group', ns('get', 'secrets', { name: 'vol-secret' }, { username: 'system:node:n1', groups: ['system:authenticated'] }), 'no-opinion', ''],
    ['empty node name', ns('get', 'secrets', { name: 'vol-secret' }, { username: 'system:node:', groups: ['system:nodes'] }), 'no-opinion', 'unknown node for user "system:node:"'],
    ['list secrets without a name', ns('list', 'secrets'), 'no-opinion', 'No Object name found'],
    ['create a secret', ns('create', 'secrets'), 'no-opinion', 'can only read resources of this type'],
    ['delete a referenced secret', ns('delete', 'secrets', { name: 'vol-secret' }), 'no-opinion', 'can only read resources of this type'],
    ['secret subresource', ns('get', 'secrets', { name: 'vol-secret', subresource: 'x' }), 'no-opinion', 'cannot read subresource'],
    ['cluster-wide secret read', ns('get', 'secrets', { namespace: '', name: 'vol-secret' }), 'no-opinion', 'can only read namespaced object of this type'],
    ['list pvcs', ns('list', 'persistentvolumeclaims'), 'no-opinion', 'can only get individual resources of this type'],
    ['get pvc status', ns('get', 'persistentvolumeclaims', { name: 'claim1', subresource: 'status' }), 'no-opinion', 'can only get/update/patch this type'],
    ['token without a name', ns('create', 'serviceaccounts', { subresource: 'token' }), 'no-opinion', 'can only create tokens for individual service accounts'],
    ['get a service account', ns('get', 'serviceaccounts', { name: 'sa1' }), 'no-opinion', 'can only create tokens for individual service accounts'],
    ['own lease', ns('update', 'leases', { namespace: 'kube-node-lease', name: 'n1', group: 'coordination.k8s.io' }), 'allow', ''],
    ['create a lease', ns('create', 'leases', { namespace: 'kube-node-lease', group: 'coordination.k8s.io' }), 'allow', ''],
    ['another node\'s lease', ns('get', 'leases', { namespace: 'kube-node-lease', name: 'n2', group: 'coordination.k8s.io' }), 'no-opinion', 'can only access node lease with the same name as the requesting node'],
    ['lease elsewhere', ns('get', 'leases', { namespace: 'default', name: 'n1', group: 'coordination.k8s.io' }), 'no-opinion', 'can only access leases in the "kube-node-lease" system namespace'],
    ['list leases', ns('list', 'leases', { namespace: 'kube-node-lease', group: 'coordination.k8s.io' }), 'no-opinion', 'can only get, create, update, patch, or delete a node lease'],
    ['own csinode', ns('get', 'csinodes', { namespace: '', name: 'n1', group: 'storage.k8s.io' }), 'allow', ''],
    ['another csinode', ns('patch', 'csinodes', { namespace: '', name: 'n2', group: 'storage.k8s.io' }), 'no-opinion', 'can only access CSINode with the same name as the requesting node'],
    ['get own node', ns('get', 'nodes', { namespace: '', name: 'n1' }), 'allow', ''],
    ['get another node', ns('get', 'nodes', { namespace: '', name: 'n2' }), 'no-opinion', "node 'n1' cannot read 'n2', only its own Node object"],
    ['list all nodes', ns('list', 'nodes', { namespace: '' }), 'no-opinion', "node 'n1' cannot read all nodes, only its own Node object"],
    ['create a node', ns('create', 'nodes', { namespace: '' }), 'allow', ''],
    ['patch nodes/status', ns('patch', 'nodes', { namespace: '', name: 'n1', subresource: 'status' }), 'allow', ''],
    ['get nodes/status', ns('get', 'nodes', { namespace: '', name: 'n1', subresource: 'status' }), 'no-opinion', ''],
    ['delete nodes', ns('delete', 'nodes', { namespace: '', name: 'n1' }), 'no-opinion', ''],
    ['list all pods', ns('list', 'pods', { namespace: '' }), 'no-opinion', 'can only list/watch pods with spec.nodeName field selector'],
    ['get a pod bound to the node', ns('get', 'pods', { name: 'p1' }), 'allow', ''],
    ['get a pod not bound to the node', ns('get', 'pods', { name: 'p1' }, n2), 'no-opinion', NO_REL('n2')],
    ['watch one pod bound to the node by name', ns('watch', 'pods', { name: 'p1' }), 'allow', ''],
    ['create mirror pod', ns('create', 'pods'), 'allow', ''],
    ['delete a pod', ns('delete', 'pods', { name: 'x' }), 'allow', ''],
    ['update pods/status', ns('update', 'pods', { name: 'p1', subresource: 'status' }), 'allow', ''],
    ['create pods/eviction', ns('create', 'pods', { name: 'p1', subresource: 'eviction' }), 'allow', ''],
    ['update pod spec', ns('update', 'pods', { name: 'p1' }), 'no-opinion', ''],
    ['pods/exec', ns('create', 'pods', { name: 'p1', subresource: 'exec' }), 'no-opinion', ''],
    ['node rules: create events', ns('create', 'events'), 'allow', ''],
    ['node rules: create CSR', ns('create', 'certificatesigningrequests', { namespace: '', group: 'certificates.k8s.io' }), 'allow', ''],
    ['node rules: deployments', ns('get', 'deployments', { name: 'd', group: 'apps' }), 'no-opinion', ''],
    ['node rules: escalate verb', ns('escalate', 'clusterroles', { namespace: '', name: 'x', group: 'rbac.authorization.k8s.io' }), 'no-opinion', ''],
  ];
  for (const [name, attrs, decision, reason] of cases) {
    test(name, async () => {
      await withAuthorizer(async (store, h) => {
        await store.create(POD_PREFIX + 'ns1/p1', richPod);
        assert.deepEqual(await decide(h, attrs), [decision, reason]);
      });
    });
  }

  test('a non-resource request from a node has no opinion', async () => {
    await withAuthorizer(async (_store, h) => {
      const a: AuthzAttributes = { ...ns('get', ''), isResourceRequest: false, path: '/healthz' };
      assert.equal((await h.authorizer.authorize(a)).decision, 'no-opinion');
    });
  });

  test('in a union Node goes first and its refusal falls through to the next authorizer', async () => {
    await withAuthorizer(async (store, h) => {
      await store.create(POD_PREFIX + 'ns1/p1', richPod);
      const union = new UnionAuthorizer([h.authorizer]);
      const ok = await union.authorize(get(n1, 'secrets', 'vol-secret'));
      assert.deepEqual([ok.decision, ok.authorizer], ['allow', 'Node']);
      const no = await union.authorize(get(n1, 'secrets', 'unrelated'));
      assert.deepEqual([no.decision, no.reason], ['deny', NO_REL('n1')]);
    });
  });
});
