import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_SHARED,
  DOCS_OUTPUT,
  OUTPUT,
  generateDocs,
  generateSchema,
  jsonName,
  listInfoFromMarkers,
  parseMarkers,
} from '../../../../scripts/gen-schema.ts';
import { formatDoc, protoComments } from '../../../../scripts/gen-docs.ts';
import type { ListInfo } from '../types.ts';

describe('gen-schema markers', () => {
  test('parseMarkers keeps repeated keys in order and ignores prose', () => {
    const m = parseMarkers('Ports to expose.\n+optional\n+listMapKey=containerPort\n+listMapKey=protocol\nnot +a marker');
    assert.deepEqual(m.values.get('listMapKey'), ['containerPort', 'protocol']);
    assert.deepEqual(m.values.get('optional'), ['true']);
    assert.equal(m.values.has('a'), false);
  });

  const lists: [string, string, ListInfo][] = [
    ['no markers', '', { listType: 'atomic' }],
    ['explicit atomic', '+listType=atomic', { listType: 'atomic' }],
    ['explicit set', '+listType=set', { listType: 'set' }],
    [
      'explicit map wins over merge key',
      '+patchMergeKey=containerPort\n+patchStrategy=merge\n+listType=map\n+listMapKey=containerPort\n+listMapKey=protocol',
      { listType: 'map', mapKeys: ['containerPort', 'protocol'], patchStrategy: 'merge', patchMergeKey: 'containerPort' },
    ],
    [
      'merge with key and no listType -> map by merge key',
      '+patchMergeKey=type\n+patchStrategy=merge',
      { listType: 'map', mapKeys: ['type'], patchStrategy: 'merge', patchMergeKey: 'type' },
    ],
    ['merge without key -> set', '+patchStrategy=merge', { listType: 'set', patchStrategy: 'merge' }],
    [
      'merge,retainKeys takes the first strategy',
      '+patchMergeKey=name\n+patchStrategy=merge,retainKeys',
      { listType: 'map', mapKeys: ['name'], patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    ],
    ['retainKeys alone stays atomic', '+patchStrategy=retainKeys', { listType: 'atomic', patchStrategy: 'retainKeys' }],
  ];
  for (const [name, comment, want] of lists) {
    test(`listInfo: ${name}`, () => {
      assert.deepEqual(listInfoFromMarkers(parseMarkers(comment)), want);
    });
  }

  test('listInfo rejects an unknown listType', () => {
    assert.throws(() => listInfoFromMarkers(parseMarkers('+listType=bag')), /unknown \+listType=bag/);
  });

  test('jsonName', () => {
    assert.equal(jsonName('Pod', 'spec'), 'spec');
    assert.equal(jsonName('ValidatingWebhookConfiguration', 'Webhooks'), 'webhooks');
    assert.equal(jsonName('DaemonEndpoint', 'Port'), 'Port');
    assert.throws(() => jsonName('Pod', 'Spec'), /JSON name unknown/);
  });
});

describe('gen-docs comments', () => {
  const docs: [string, string[], string][] = [
    ['joins lines with spaces and drops markers', ['List of containers.', 'Cannot be updated.', '+optional', '+listType=map'], 'List of containers. Cannot be updated.'],
    ['keeps paragraphs', ['First.', '', 'Second.'], 'First.\n\nSecond.'],
    ['keeps indented lines on their own line', ['Examples:', '  "name" - the field', 'End.'], 'Examples:\n  "name" - the field\nEnd.'],
    ['drops one-line TODOs', ['Keep.', 'TODO: fix this', 'Also.'], 'Keep. Also.'],
    ['stops at ---', ['Shown.', '---', 'Hidden.'], 'Shown.'],
    ['unescapes quotes', ['Defaults to \\"x\\".'], 'Defaults to "x".'],
    ['only markers -> empty', ['+k8s:deepcopy-gen=true'], ''],
  ];
  for (const [name, lines, want] of docs) {
    test(`formatDoc: ${name}`, () => assert.equal(formatDoc(lines), want));
  }

  test('protoComments keys messages and fields and keeps indentation', () => {
    const text = [
      'package k8s.io.api.demo.v1;',
      '',
      '// Demo is a demo.',
      '// +genclient',
      'message Demo {',
      '  // Spec of the demo.',
      '  // \tindented',
      '  optional DemoSpec spec = 1;',
      '',
      '  map<string, string> labels = 2;',
      '',
      '  // Items of it.',
      '  repeated .k8s.io.api.core.v1.Pod items = 3;',
      '}',
    ].join('\n');
    const c = protoComments(text);
    assert.deepEqual(c.get('k8s.io.api.demo.v1.Demo'), ['Demo is a demo.', '+genclient']);
    assert.deepEqual(c.get('k8s.io.api.demo.v1.Demo.spec'), ['Spec of the demo.', '\tindented']);
    assert.equal(c.has('k8s.io.api.demo.v1.Demo.labels'), false);
    assert.deepEqual(c.get('k8s.io.api.demo.v1.Demo.items'), ['Items of it.']);
  });
});

describe('generated schema.json', () => {
  const protoDir = join(DEFAULT_SHARED, 'k8s-api', 'proto');
  const skip = existsSync(protoDir) ? false : `${protoDir} absent: cannot regenerate the schema here`;
  test('regenerating from ../shared reproduces the committed file byte for byte', { skip }, () => {
    const committed = readFileSync(OUTPUT, 'utf8');
    const fresh = generateSchema(DEFAULT_SHARED);
    assert.ok(fresh === committed, 'schema.json is stale: run `node --import tsx scripts/gen-schema.ts`');
  });

  test('regenerating reproduces the committed docs.json byte for byte', { skip }, () => {
    const committed = readFileSync(DOCS_OUTPUT, 'utf8');
    const fresh = generateDocs(DEFAULT_SHARED);
    assert.ok(fresh === committed, 'docs.json is stale: run `node --import tsx scripts/gen-schema.ts`');
  });

  test('docs.json carries upstream descriptions, hoisted fields included', { skip }, () => {
    const docs = JSON.parse(readFileSync(DOCS_OUTPUT, 'utf8')) as { types: Record<string, { description?: string; fields?: Record<string, string> }> };
    assert.equal(docs.types['k8s.io.api.core.v1.PodSpec']?.fields?.containers?.startsWith('List of containers belonging to the pod.'), true);
    assert.equal(docs.types['k8s.io.api.core.v1.PodSpec']?.description, 'PodSpec is a description of a pod.');
    assert.match(docs.types['k8s.io.api.core.v1.Volume']?.fields?.hostPath ?? '', /^hostPath represents a pre-existing file/);
    assert.doesNotMatch(JSON.stringify(docs.types['k8s.io.api.apps.v1.DeploymentSpec']), /\+optional/);
  });
});

describe('extra packages', () => {
  test('APIService (kube-aggregator, from k8s-api/extra) is a kind of apiregistration.k8s.io/v1', () => {
    const d = JSON.parse(readFileSync(OUTPUT, 'utf8')) as { kinds: { group: string; version: string; kind: string; type: string }[]; types: Record<string, unknown> };
    const k = d.kinds.find((x) => x.kind === 'APIService');
    assert.deepEqual(k, { group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService', type: 'k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.APIService' });
    assert.ok(d.types['k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.ServiceReference']);
    // apiextensions stays out: CRDs keep their own schema handling.
    assert.equal(d.kinds.some((x) => x.kind === 'CustomResourceDefinition'), false);
  });
});
