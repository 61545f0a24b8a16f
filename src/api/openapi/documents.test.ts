import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../registry/builtin.ts';
import { ResourceRegistry } from '../registry/registry.ts';
import type { ResourceDef } from '../registry/resource-def.ts';
import { loadSchema } from '../schema/schema.ts';
import { openApiV2Document, openApiV3Document, openApiV3Index } from './documents.ts';

type J = Record<string, any>;
const schema = loadSchema();

function v3(reg: ResourceRegistry, gv: string): J {
  const doc = openApiV3Document(reg, schema, gv);
  assert.ok(doc, `${gv} served`);
  return JSON.parse(doc.json) as J;
}

/** Every $ref of a document names a definition it has. */
function danglingRefs(doc: J, prefix: string, defs: J): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && !(x.startsWith(prefix) && Object.hasOwn(defs, x.slice(prefix.length)))) out.push(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  return out;
}

function crontabDef(): ResourceDef {
  return {
    group: 'stable.example.com',
    version: 'v1',
    kind: 'CronTab',
    listKind: 'CronTabList',
    resource: 'crontabs',
    singular: 'crontab',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    status: false,
    nameRule: 'subdomain',
    generation: true,
    fieldLabels: () => ({}),
    custom: {
      crdName: 'crontabs.stable.example.com',
      schema: { type: 'object', properties: { spec: { type: 'object', description: 'The spec.', nullable: true, properties: { cronSpec: { type: 'string' } } } } },
    },
  };
}

describe('openapi v3', () => {
  const reg = new ResourceRegistry(builtinResources());

  test('the index names every served group version with its hash', () => {
    const idx = openApiV3Index(reg, schema);
    for (const gv of ['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/rbac.authorization.k8s.io/v1']) {
      const hash = openApiV3Document(reg, schema, gv)!.hash;
      assert.match(hash, /^[0-9A-F]{128}$/);
      assert.equal(idx.paths[gv]?.serverRelativeURL, `/openapi/v3/${gv}?hash=${hash}`);
    }
    assert.equal(openApiV3Document(reg, schema, 'apis/nope.example.com/v1'), undefined);
  });

  for (const gv of ['api/v1', 'apis/apps/v1', 'apis/apiextensions.k8s.io/v1', 'apis/authorization.k8s.io/v1']) {
    test(`${gv}: an OpenAPI 3.0 document whose references all resolve`, () => {
      const doc = v3(reg, gv);
      assert.equal(doc.openapi, '3.0.0');
      assert.deepEqual(danglingRefs(doc, '#/components/schemas/', doc.components.schemas), []);
    });
  }

  test('Deployment operations carry the kind, the action and the write parameters', () => {
    const paths = v3(reg, 'apis/apps/v1').paths;
    const item = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    const gvk = { group: 'apps', kind: 'Deployment', version: 'v1' };
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], gvk);
    assert.equal(item.patch['x-kubernetes-action'], 'patch');
    assert.equal(item.patch.operationId, 'patchAppsV1NamespacedDeployment');
    const post = paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post;
    const names = post.parameters.map((p: J) => p.name);
    for (const n of ['dryRun', 'fieldManager', 'fieldValidation']) assert.ok(names.includes(n), n);
    assert.deepEqual(post.parameters.find((p: J) => p.name === 'fieldValidation').schema, { type: 'string', uniqueItems: true });
    // kubectl checks the first PATCH of the kind it finds: every one must take fieldValidation.
    for (const [path, it] of Object.entries(paths) as [string, J][]) {
      if (it.patch?.['x-kubernetes-group-version-kind']?.kind !== 'Deployment') continue;
      assert.ok(it.patch.parameters.some((p: J) => p.name === 'fieldValidation' && p.in === 'query'), path);
    }
    const scale = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    assert.deepEqual(scale.get['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
    assert.ok(v3(reg, 'apis/apps/v1').components.schemas['io.k8s.api.autoscaling.v1.Scale']);
  });

  test('schemas are named like upstream and carry the merge semantics and descriptions', () => {
    const s = v3(reg, 'api/v1').components.schemas;
    const containers = s['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.ok(containers.description.startsWith('List of containers belonging to the pod.'));
    assert.ok(s['io.k8s.api.core.v1.PodSpec'].required.includes('containers'));
    const pod = s['io.k8s.api.core.v1.Pod'];
    assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
    assert.equal(pod.properties.apiVersion.type, 'string');
    assert.deepEqual(pod.properties.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
    assert.deepEqual(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
    assert.deepEqual(s['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
    assert.equal(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']['x-kubernetes-int-or-string'], true);
    assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.labels.additionalProperties.type, 'string');
    assert.equal(s['io.k8s.api.core.v1.ObjectFieldSelector']['x-kubernetes-map-type'], 'atomic');
    const spec = v3(reg, 'apis/apps/v1').components.schemas['io.k8s.api.apps.v1.DeploymentSpec'];
    assert.deepEqual(spec.required, ['selector', 'template']);
    assert.equal(spec.properties.replicas.format, 'int32');
    assert.match(spec.properties.replicas.description, /^Number of desired pods\./);
  });

  test('a custom resource appears once its definition is served, other documents are kept', () => {
    const r = new ResourceRegistry(builtinResources());
    const apps = openApiV3Document(r, schema, 'apis/apps/v1')!;
    assert.equal(openApiV3Index(r, schema).paths['apis/stable.example.com/v1'], undefined);
    r.add(crontabDef());
    assert.ok(openApiV3Index(r, schema).paths['apis/stable.example.com/v1']);
    assert.equal(openApiV3Document(r, schema, 'apis/apps/v1'), apps, 'unchanged group versions are not rebuilt');
    const doc = v3(r, 'apis/stable.example.com/v1');
    const ct = doc.components.schemas['com.example.stable.v1.CronTab'];
    assert.deepEqual(ct['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }]);
    assert.equal(ct.properties.spec.properties.cronSpec.type, 'string');
    assert.equal(ct.properties.spec.nullable, true);
    assert.ok(ct.properties.metadata.allOf);
    assert.equal(doc.components.schemas['com.example.stable.v1.CronTabList'].properties.items.items.$ref, '#/components/schemas/com.example.stable.v1.CronTab');
    const patch = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'].patch;
    assert.equal(patch.requestBody.content['application/strategic-merge-patch+json'], undefined);
    assert.deepEqual(danglingRefs(doc, '#/components/schemas/', doc.components.schemas), []);
    r.remove('stable.example.com', 'v1', 'crontabs');
    assert.equal(openApiV3Document(r, schema, 'apis/stable.example.com/v1'), undefined);
  });
});

describe('openapi v2', () => {
  test('one Swagger 2.0 document of everything served, memoised by registry version', () => {
    const r = new ResourceRegistry(builtinResources());
    const first = openApiV2Document(r, schema);
    assert.equal(openApiV2Document(r, schema), first);
    const doc = JSON.parse(first.json) as J;
    assert.equal(doc.swagger, '2.0');
    assert.deepEqual(danglingRefs(doc, '#/definitions/', doc.definitions), []);
    const spec = doc.definitions['io.k8s.api.core.v1.PodSpec'].properties;
    assert.equal(spec.containers.items.$ref, '#/definitions/io.k8s.api.core.v1.Container');
    assert.equal(spec.affinity.$ref, '#/definitions/io.k8s.api.core.v1.Affinity', 'v2 keeps $ref with siblings');
    assert.equal(doc.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.ok(patch.parameters.some((p: J) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
    assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
    r.add(crontabDef());
    const next = JSON.parse(openApiV2Document(r, schema).json) as J;
    const ct = next.definitions['com.example.stable.v1.CronTab'];
    assert.ok(ct, 'custom resource added');
    assert.equal(ct.properties.spec.nullable, undefined, 'v2 drops what Swagger 2.0 cannot say');
  });
});
