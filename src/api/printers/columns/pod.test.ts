import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podPrinter } from './pod.ts';

const now = new Date('2024-05-01T12:00:00Z');
const meta = (extra: object = {}) => ({ name: 'p', creationTimestamp: '2024-05-01T11:00:00Z', ...extra });
const two = [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'busybox' }];
const running = (name: string, ready: boolean, restartCount = 0) => ({ name, ready, restartCount, state: { running: { startedAt: '2024-05-01T11:00:00Z' } } });

const cases: { name: string; pod: object; want: unknown[]; conditions?: unknown }[] = [
  {
    name: 'pending, not scheduled',
    pod: { metadata: meta(), spec: { containers: two }, status: { phase: 'Pending' } },
    want: ['p', '0/2', 'Pending', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'scheduling gated',
    pod: { metadata: meta(), spec: { containers: two }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } },
    want: ['p', '0/2', 'SchedulingGated', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'container creating',
    pod: { metadata: meta(), spec: { containers: two, nodeName: 'n1' }, status: { phase: 'Pending', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] } },
    want: ['p', '0/2', 'ContainerCreating', '0', '60m', '<none>', 'n1', '<none>', '<none>'],
  },
  {
    name: 'running, 1 of 2 ready, wide cells',
    pod: {
      metadata: meta(),
      spec: { containers: two, nodeName: 'n1', readinessGates: [{ conditionType: 'x/ok' }, { conditionType: 'x/two' }] },
      status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }], podIP: '10.0.0.5', nominatedNodeName: 'n2', conditions: [{ type: 'x/ok', status: 'True' }], containerStatuses: [running('a', true), running('b', false)] },
    },
    want: ['p', '1/2', 'Running', '0', '60m', '10.0.0.5', 'n1', 'n2', '1/2'],
  },
  {
    name: 'crash loop with restarts and the age of the last one',
    pod: {
      metadata: meta(),
      spec: { containers: two },
      status: {
        phase: 'Running',
        containerStatuses: [
          running('a', true, 2),
          { name: 'b', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:55:00Z' } } },
        ],
      },
    },
    want: ['p', '1/2', 'CrashLoopBackOff', '7 (5m ago)', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'completed',
    pod: { metadata: meta(), spec: { containers: [two[0]] }, status: { phase: 'Succeeded', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } },
    want: ['p', '0/1', 'Completed', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    conditions: [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }],
  },
  {
    name: 'one container completed beside a running one',
    pod: {
      metadata: meta(),
      spec: { containers: two },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running('b', true)] },
    },
    want: ['p', '1/2', 'NotReady', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'terminated without a reason shows the exit code',
    pod: { metadata: meta(), spec: { containers: [two[0]] }, status: { phase: 'Failed', containerStatuses: [{ name: 'a', restartCount: 0, state: { terminated: { exitCode: 137 } } }] } },
    want: ['p', '0/1', 'ExitCode:137', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
    conditions: [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }],
  },
  {
    name: 'terminating',
    pod: { metadata: meta({ deletionTimestamp: '2024-05-01T11:59:00Z' }), spec: { containers: [two[0]] }, status: { phase: 'Running', containerStatuses: [running('a', true)] } },
    want: ['p', '1/1', 'Terminating', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'deleted on an unreachable node',
    pod: { metadata: meta({ deletionTimestamp: '2024-05-01T11:59:00Z' }), spec: { containers: [two[0]] }, status: { phase: 'Running', reason: 'NodeLost', containerStatuses: [running('a', true)] } },
    want: ['p', '1/1', 'Unknown', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'init container waiting',
    pod: {
      metadata: meta(),
      spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [two[0]] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0 } } }, { name: 'i2', restartCount: 0, state: { running: {} } }] },
    },
    want: ['p', '0/1', 'Init:1/2', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'init container crash looping',
    pod: {
      metadata: meta(),
      spec: { initContainers: [{ name: 'i1' }], containers: [two[0]] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    },
    want: ['p', '0/1', 'Init:CrashLoopBackOff', '3', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'init container failed with a signal',
    pod: {
      metadata: meta(),
      spec: { initContainers: [{ name: 'i1' }], containers: [two[0]] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 1, signal: 9 } } }] },
    },
    want: ['p', '0/1', 'Init:Signal:9', '0', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'a started sidecar counts as a container',
    pod: {
      metadata: meta(),
      spec: { initContainers: [{ name: 'side', restartPolicy: 'Always' }], containers: [two[0]] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'side', ready: true, started: true, restartCount: 1, state: { running: {} } }],
        containerStatuses: [running('a', true)],
      },
    },
    want: ['p', '2/2', 'Running', '1', '60m', '<none>', '<none>', '<none>', '<none>'],
  },
];

for (const c of cases) {
  test(`pod: ${c.name}`, () => {
    assert.deepEqual(podPrinter.cells(c.pod, now), c.want);
    assert.deepEqual(podPrinter.conditions?.(c.pod), c.conditions);
  });
}

test('pod columns: names, types and wide priorities as upstream', () => {
  assert.deepEqual(
    podPrinter.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
});
