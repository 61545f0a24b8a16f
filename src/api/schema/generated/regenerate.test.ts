import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_SHARED,
  OUTPUT,
  generateSchema,
  jsonName,
  listInfoFromMarkers,
  parseMarkers,
} from '../../../../scripts/gen-schema.ts';
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

describe('generated schema.json', () => {
  const protoDir = join(DEFAULT_SHARED, 'k8s-api', 'proto');
  const skip = existsSync(protoDir) ? false : `${protoDir} absent: cannot regenerate the schema here`;
  test('regenerating from ../shared reproduces the committed file byte for byte', { skip }, () => {
    const committed = readFileSync(OUTPUT, 'utf8');
    const fresh = generateSchema(DEFAULT_SHARED);
    assert.ok(fresh === committed, 'schema.json is stale: run `node --import tsx scripts/gen-schema.ts`');
  });
});
