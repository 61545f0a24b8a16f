import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { podLogRequest } from './log-options.ts';
import { connectRequest } from './stream-options.ts';

const q = (s: string) => new URLSearchParams(s);

function invalidMessage(s: string): string {
  try {
    podLogRequest('p', q(s));
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return `${err.code} ${err.message}`;
  }
  return 'accepted';
}

test('PodLogOptions validation texts (ValidatePodLogOptions)', () => {
  assert.equal(invalidMessage('tailLines=-1'), '422 PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
  assert.equal(invalidMessage('limitBytes=0'), '422 PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0');
  assert.equal(invalidMessage('sinceSeconds=0'), '422 PodLogOptions "p" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0');
  assert.equal(invalidMessage('sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z'), '422 PodLogOptions "p" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
  assert.equal(invalidMessage('tailLines=-1&limitBytes=0'), '422 PodLogOptions "p" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]');
  assert.match(invalidMessage('tailLines=ten'), /^400 /);
  assert.match(invalidMessage('sinceTime=yesterday'), /^400 /);
});

test('the kubelet query carries only what is set, sinceTime to the second', () => {
  const r = podLogRequest('p', q('container=c&follow=true&previous=false&timestamps=1&tailLines=10&sinceTime=2026-01-02T03:04:05.678Z&limitBytes=99'));
  assert.equal(r.container, 'c');
  assert.equal(r.follow, true);
  assert.equal(r.kubeletQuery.toString(), 'follow=true&timestamps=true&sinceTime=2026-01-02T03%3A04%3A05Z&tailLines=10&limitBytes=99');
  assert.equal(podLogRequest('p', q('')).kubeletQuery.toString(), '');
});

test('connect options become the kubelet\'s: flags as 1, commands in order, ports joined', () => {
  const e = connectRequest('exec', q('command=sh&command=-c&command=echo+hi&container=c&stdin=true&stdout=true&stderr=false&tty=false'));
  assert.equal(e.container, 'c');
  assert.equal(e.kubeletQuery.toString(), 'stdin=1&stdout=1&command=sh&command=-c&command=echo+hi');
  assert.equal(connectRequest('attach', q('command=ignored&stdout=1')).kubeletQuery.toString(), 'stdout=1');
  assert.equal(connectRequest('portforward', q('ports=80&ports=443,8080')).kubeletQuery.toString(), 'port=80%2C443%2C8080');
  assert.throws(() => connectRequest('portforward', q('ports=70000')), /unable to parse "70000" as a port/);
});
