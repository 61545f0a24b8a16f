import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo } from '../../server/request-info.ts';
import { selectorAttributes } from '../selector-attributes.ts';
import type { AuthzAttributes } from '../types.ts';
import { NodeAuthorizer } from './authorizer.ts';
import { vertexId } from './graph.ts';

const n1 = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };

/** The attributes the request pipeline builds for a request from node n1. */
function attrs(method: string, url: string): AuthzAttributes {
  const u = new URL(url, 'https://api');
  const { fieldSelector, labelSelector, ...info } = parseRequestInfo(method, u.pathname, u.searchParams);
  return { user: n1, ...info, ...selectorAttributes({ fieldSelector, labelSelector }) };
}

function authorizer(): NodeAuthorizer {
  const a = new NodeAuthorizer();
  a.graph.setOwner(vertexId('pod', 'ns1', 'p1'), [], [vertexId('node', '', 'n1')]);
  a.graph.setOwner(vertexId('pod', 'ns1', 'p2'), [], [vertexId('node', '', 'n2')]);
  return a;
}

const NEED_SELECTOR = 'can only list/watch pods with spec.nodeName field selector';
const fs = (s: string): string => `fieldSelector=${encodeURIComponent(s)}`;

describe('NodeAuthorizer selectors (AuthorizeNodeWithSelectors)', () => {
  const cases: [string, string, string, string, string][] = [
    ['list pods on this node', 'GET', `/api/v1/pods?${fs('spec.nodeName=n1')}`, 'allow', ''],
    ['watch pods on this node', 'GET', `/api/v1/pods?watch=true&${fs('spec.nodeName=n1')}`, 'allow', ''],
    ['== is the same requirement', 'GET', `/api/v1/pods?${fs('spec.nodeName==n1')}`, 'allow', ''],
    ['namespaced list on this node', 'GET', `/api/v1/namespaces/ns1/pods?${fs('spec.nodeName=n1')}`, 'allow', ''],
    ['further field requirements only narrow', 'GET', `/api/v1/pods?${fs('status.phase=Running,spec.nodeName=n1')}`, 'allow', ''],
    ['a label selector beside it only narrows', 'GET', `/api/v1/pods?${fs('spec.nodeName=n1')}&labelSelector=${encodeURIComponent('app in (a,b)')}`, 'allow', ''],
    ['no selector', 'GET', '/api/v1/pods', 'no-opinion', NEED_SELECTOR],
    ['an empty selector', 'GET', `/api/v1/pods?${fs('')}`, 'no-opinion', NEED_SELECTOR],
    ['another node\'s name', 'GET', `/api/v1/pods?${fs('spec.nodeName=n2')}`, 'no-opinion', NEED_SELECTOR],
    ['not another node', 'GET', `/api/v1/pods?${fs('spec.nodeName!=n2')}`, 'no-opinion', NEED_SELECTOR],
    ['only other fields', 'GET', `/api/v1/pods?${fs('status.phase=Running')}`, 'no-opinion', NEED_SELECTOR],
    ['a label selector naming the node', 'GET', `/api/v1/pods?labelSelector=${encodeURIComponent('spec.nodeName=n1')}`, 'no-opinion', NEED_SELECTOR],
    ['an unparsable selector', 'GET', `/api/v1/pods?${fs('spec.nodeName')}`, 'no-opinion', NEED_SELECTOR],
    ['the /watch/ path form carries no selector', 'GET', `/api/v1/watch/pods?${fs('spec.nodeName=n1')}`, 'no-opinion', NEED_SELECTOR],
    ['watch one pod of this node by metadata.name', 'GET', `/api/v1/namespaces/ns1/pods?watch=1&${fs('metadata.name=p1')}`, 'allow', ''],
    ['watch one pod of another node by metadata.name', 'GET', `/api/v1/namespaces/ns1/pods?watch=1&${fs('metadata.name=p2')}`, 'no-opinion', "no relationship found between node 'n1' and this object"],
    ['deletecollection even with the selector', 'DELETE', `/api/v1/namespaces/ns1/pods?${fs('spec.nodeName=n1')}`, 'no-opinion', ''],
    ['watch its own Node by metadata.name', 'GET', `/api/v1/nodes?watch=true&${fs('metadata.name=n1')}`, 'allow', ''],
    ['list another Node by metadata.name', 'GET', `/api/v1/nodes?${fs('metadata.name=n2')}`, 'no-opinion', "node 'n1' cannot read 'n2', only its own Node object"],
    ['list all Nodes', 'GET', '/api/v1/nodes', 'no-opinion', "node 'n1' cannot read all nodes, only its own Node object"],
  ];
  for (const [name, method, url, decision, reason] of cases) {
    test(name, async () => {
      const r = await authorizer().authorize(attrs(method, url));
      assert.deepEqual([r.decision, r.reason], [decision, reason]);
    });
  }
});

describe('selectorAttributes', () => {
  test('parses both selectors into requirements, once', () => {
    const a = selectorAttributes({ fieldSelector: 'spec.nodeName==n1,metadata.namespace!=x', labelSelector: 'app in (b,a),!gone' });
    assert.deepEqual(a.fieldSelector, [
      { field: 'metadata.namespace', operator: '!=', value: 'x' },
      { field: 'spec.nodeName', operator: '=', value: 'n1' },
    ]);
    assert.deepEqual(a.labelSelector, [
      { key: 'app', operator: 'in', values: ['a', 'b'] },
      { key: 'gone', operator: '!', values: [] },
    ]);
  });

  test('a selector that does not parse keeps its error and no requirements', () => {
    const a = selectorAttributes({ fieldSelector: 'spec.nodeName', labelSelector: 'a in (' });
    assert.equal(a.fieldSelector, undefined);
    assert.equal(a.labelSelector, undefined);
    assert.match(a.fieldSelectorError ?? '', /invalid selector: 'spec.nodeName'/);
    assert.ok(a.labelSelectorError);
  });

  test('empty or absent selectors add nothing', () => {
    assert.deepEqual(selectorAttributes({ fieldSelector: '', labelSelector: '' }), {});
    assert.deepEqual(selectorAttributes({}), {});
  });

  test('only list, watch and deletecollection carry selectors, as upstream RequestInfo', () => {
    const q = new URLSearchParams({ fieldSelector: 'a=b', labelSelector: 'c=d' });
    assert.deepEqual([parseRequestInfo('GET', '/api/v1/namespaces/ns1/pods', q).fieldSelector, parseRequestInfo('GET', '/api/v1/namespaces/ns1/pods', q).labelSelector], ['a=b', 'c=d']);
    assert.equal(parseRequestInfo('DELETE', '/api/v1/namespaces/ns1/pods', q).fieldSelector, 'a=b');
    assert.equal(parseRequestInfo('GET', '/api/v1/namespaces/ns1/pods/p1', q).fieldSelector, undefined);
    assert.equal(parseRequestInfo('POST', '/api/v1/namespaces/ns1/pods', q).fieldSelector, undefined);
    assert.equal(parseRequestInfo('GET', '/api/v1/watch/namespaces/ns1/pods', q).fieldSelector, undefined);
  });
});
