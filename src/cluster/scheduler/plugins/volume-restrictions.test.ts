import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../testing.ts';
import { ERR_REASON_DISK_CONFLICT, volumeConflicts, volumeRestrictions } from './volume-restrictions.ts';

const withVolume = (name: string, v: Record<string, unknown>) => makePod(name, { spec: { volumes: [{ name: 'v', ...v }] } });

test('disk conflicts as upstream: same PD unless both read-only, same EBS always, same IQN or RBD image (monitors overlap, default pool) unless both read-only', () => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, boolean]> = [
    [{ gcePersistentDisk: { pdName: 'a' } }, { gcePersistentDisk: { pdName: 'a', readOnly: true } }, true],
    [{ gcePersistentDisk: { pdName: 'a', readOnly: true } }, { gcePersistentDisk: { pdName: 'a', readOnly: true } }, false],
    [{ gcePersistentDisk: { pdName: 'a' } }, { gcePersistentDisk: { pdName: 'b' } }, false],
    [{ awsElasticBlockStore: { volumeID: 'x', readOnly: true } }, { awsElasticBlockStore: { volumeID: 'x', readOnly: true } }, true],
    [{ iscsi: { iqn: 'q', readOnly: true } }, { iscsi: { iqn: 'q' } }, true],
    [{ iscsi: { iqn: 'q', readOnly: true } }, { iscsi: { iqn: 'q', readOnly: true } }, false],
    [{ rbd: { monitors: ['m1', 'm2'], image: 'i' } }, { rbd: { monitors: ['m2'], pool: 'rbd', image: 'i' } }, true],
    [{ rbd: { monitors: ['m1'], image: 'i' } }, { rbd: { monitors: ['m2'], image: 'i' } }, false],
    [{ rbd: { monitors: ['m1'], image: 'i', pool: 'p' } }, { rbd: { monitors: ['m1'], image: 'i' } }, false],
  ];
  for (const [mine, theirs, want] of cases) assert.equal(volumeConflicts(mine, withVolume('e', theirs)), want, JSON.stringify([mine, theirs]));
});

test('VolumeRestrictions: skipped for a pod without such volumes or claims; a node holding the same disk is refused', () => {
  const plugin = volumeRestrictions({} as never);
  const state = new Map();
  const node = new NodeInfo(makeNode('n1'));
  node.addPod({ ...withVolume('holder', { gcePersistentDisk: { pdName: 'a' } }), spec: { ...withVolume('holder', { gcePersistentDisk: { pdName: 'a' } }).spec, nodeName: 'n1' } });
  assert.equal(plugin.preFilter!(state, makePod('plain'), [node])?.code, 'Skip');
  const pod = withVolume('new', { gcePersistentDisk: { pdName: 'a' } });
  assert.equal(plugin.preFilter!(state, pod, [node])?.code, 'Success');
  assert.deepEqual(plugin.filter!(state, pod, node)?.reasons, [ERR_REASON_DISK_CONFLICT]);
  assert.equal(plugin.filter!(state, pod, new NodeInfo(makeNode('n2')))?.code, 'Success');
});
