import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { builtinResources } from '../registry/builtin.ts';
import { ResourceRegistry } from '../registry/registry.ts';
import { loadSchema } from '../schema/schema.ts';
import { openApiV3Document } from './documents.ts';
import { negotiate, serveOpenApi } from './serve.ts';

const schema = loadSchema();
const reg = new ResourceRegistry(builtinResources());
const serve = (path: string, query = '', headers = {}) => serveOpenApi(path, new URLSearchParams(query), reg, schema, headers);
const PB = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

describe('serveOpenApi', () => {
  const appsHash = openApiV3Document(reg, schema, 'apis/apps/v1')!.hash;
  const cases: [string, string, string, Record<string, string>, number, Record<string, string | undefined>][] = [
    ['index', '/openapi/v3', '', {}, 200, { 'cache-control': undefined }],
    ['document at its hash is immutable', '/openapi/v3/apis/apps/v1', `hash=${appsHash}`, {}, 200, { 'cache-control': 'public, immutable', etag: `"${appsHash}"` }],
    ['document without hash is not cached', '/openapi/v3/apis/apps/v1', '', {}, 200, { 'cache-control': 'no-cache, private' }],
    ['stale hash redirects', '/openapi/v3/apis/apps/v1', 'hash=OLD', {}, 301, { location: `/openapi/v3/apis/apps/v1?hash=${appsHash}` }],
    ['unknown group version', '/openapi/v3/apis/nope/v1', '', {}, 404, {}],
    ['matching If-None-Match', '/openapi/v3/apis/apps/v1', `hash=${appsHash}`, { ifNoneMatch: `"${appsHash}"` }, 304, {}],
    ['v3 protobuf only is not acceptable', '/openapi/v3/api/v1', '', { accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' }, 406, {}],
    ['v2 as JSON', '/openapi/v2', '', { accept: 'application/json' }, 200, {}],
    ['v2 as protobuf', '/openapi/v2', '', { accept: PB }, 200, {}],
    ['v2 in an unknown form', '/openapi/v2', '', { accept: 'text/html' }, 406, {}],
  ];
  for (const [name, path, query, headers, code, want] of cases) {
    test(name, () => {
      const ans = serve(path, query, headers);
      assert.ok(ans);
      assert.equal(ans.code, code);
      for (const [h, v] of Object.entries(want)) assert.equal(ans.headers[h], v, h);
    });
  }

  test('not an OpenAPI path', () => {
    assert.equal(serve('/openapi/v4'), undefined);
    assert.equal(serve('/api/v1'), undefined);
    assert.equal(serve('/openapi'), undefined);
  });

  test('content types: JSON, and the protobuf form labelled with a parseable media type', () => {
    assert.equal(serve('/openapi/v3')!.contentType, 'application/json');
    const pb = serve('/openapi/v2', '', { accept: PB })!;
    assert.equal(pb.contentType, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.ok(pb.body instanceof Uint8Array);
  });

  test('negotiate follows the client order', () => {
    assert.equal(negotiate(undefined, true), 'json');
    assert.equal(negotiate(`${PB}, application/json`, true), 'protobuf');
    assert.equal(negotiate(`${PB}, application/json`, false), 'json');
    assert.equal(negotiate('application/json, */*', true), 'json');
    assert.equal(negotiate('text/plain', true), undefined);
  });

  test('the protobuf document decodes as gnostic openapi.v2.Document', () => {
    // A reader for the parts checked here, with gnostic's field numbers.
    const root = protobuf.Root.fromJSON({
      nested: {
        NamedAny: { fields: { name: { type: 'string', id: 1 }, value: { type: 'Any', id: 2 } } },
        Any: { fields: { yaml: { type: 'string', id: 2 } } },
        Document: { fields: { swagger: { type: 'string', id: 1 }, paths: { type: 'Paths', id: 8 }, definitions: { type: 'Definitions', id: 9 } } },
        Paths: { fields: { path: { rule: 'repeated', type: 'NamedPathItem', id: 2 } } },
        NamedPathItem: { fields: { name: { type: 'string', id: 1 }, value: { type: 'PathItem', id: 2 } } },
        PathItem: { fields: { patch: { type: 'Operation', id: 8 } } },
        Operation: { fields: { operationId: { type: 'string', id: 5 }, parameters: { rule: 'repeated', type: 'ParametersItem', id: 8 }, ext: { rule: 'repeated', type: 'NamedAny', id: 13 } } },
        ParametersItem: { fields: { parameter: { type: 'Parameter', id: 1 } } },
        Parameter: { fields: { nonBody: { type: 'NonBody', id: 2 } } },
        NonBody: { fields: { query: { type: 'Query', id: 3 } } },
        Query: { fields: { in: { type: 'string', id: 2 }, name: { type: 'string', id: 4 } } },
        Definitions: { fields: { props: { rule: 'repeated', type: 'NamedSchema', id: 1 } } },
        NamedSchema: { fields: { name: { type: 'string', id: 1 }, value: { type: 'Schema', id: 2 } } },
        Schema: { fields: { description: { type: 'string', id: 4 }, properties: { type: 'Definitions', id: 25 }, ext: { rule: 'repeated', type: 'NamedAny', id: 31 } } },
      },
    });
    const body = serve('/openapi/v2', '', { accept: PB })!.body as Uint8Array;
    const doc = root.lookupType('Document').toObject(root.lookupType('Document').decode(body)) as Record<string, any>;
    assert.equal(doc.swagger, '2.0');
    const item = doc.paths.path.find((p: any) => p.name === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}');
    assert.equal(item.value.patch.operationId, 'patchAppsV1NamespacedDeployment');
    assert.ok(item.value.patch.parameters.some((p: any) => p.parameter?.nonBody?.query?.name === 'fieldValidation'));
    const gvk = item.value.patch.ext.find((e: any) => e.name === 'x-kubernetes-group-version-kind');
    assert.deepEqual(JSON.parse(gvk.value.yaml), { group: 'apps', kind: 'Deployment', version: 'v1' });
    const podSpec = doc.definitions.props.find((d: any) => d.name === 'io.k8s.api.core.v1.PodSpec').value;
    const containers = podSpec.properties.props.find((p: any) => p.name === 'containers').value;
    assert.match(containers.description, /^List of containers belonging to the pod\./);
    assert.equal(JSON.parse(containers.ext.find((e: any) => e.name === 'x-kubernetes-patch-merge-key').value.yaml), 'name');
  });
});
