import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execRequest, exitStatus } from './exec-session.ts';
import { pickProtocol } from './channels.ts';
import { forwardedPorts } from './port-forward.ts';

test('exec flags are on only as "1"; a terminal merges stderr; no stream or no command is refused', () => {
  const q = (s: string) => new URLSearchParams(s);
  assert.deepEqual(execRequest(q('command=id&command=-u&stdout=1&stderr=1')), { argv: ['id', '-u'], stdin: false, stdout: true, stderr: true, tty: false });
  assert.equal(execRequest(q('command=sh&stdout=1&stderr=1&tty=1')).stderr, false);
  assert.throws(() => execRequest(q('command=id&stdout=true')), /you must specify at least 1 of stdin, stdout, stderr/);
  assert.throws(() => execRequest(q('stdout=1')), /you must specify at least 1 command/);
});

test('the exit Status as the kubelet writes it on the error channel', () => {
  assert.deepEqual(exitStatus(['id'], 0), { metadata: {}, status: 'Success' });
  assert.equal(
    JSON.stringify(exitStatus(['sh', '-c', 'exit 3'], 3)),
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
  );
});

test('the newest channel protocol both sides know; none when none is shared', () => {
  assert.equal(pickProtocol('v4.channel.k8s.io, v5.channel.k8s.io', ['v5.channel.k8s.io', 'v4.channel.k8s.io']), 'v5.channel.k8s.io');
  assert.equal(pickProtocol(['channel.k8s.io', 'v4.channel.k8s.io'], ['v5.channel.k8s.io', 'v4.channel.k8s.io']), 'v4.channel.k8s.io');
  assert.equal(pickProtocol('base64.channel.k8s.io', ['v5.channel.k8s.io', 'v4.channel.k8s.io']), undefined);
  assert.equal(pickProtocol(undefined, ['v4.channel.k8s.io']), undefined);
});

test('forwarded ports: repeated or comma-separated, 1-65535, at least one', () => {
  assert.deepEqual(forwardedPorts(new URLSearchParams('port=80,443&port=8080')), [80, 443, 8080]);
  assert.throws(() => forwardedPorts(new URLSearchParams('')), /at least one port must be specified/);
  assert.throws(() => forwardedPorts(new URLSearchParams('port=0')), /unable to parse "0" as a port/);
  assert.throws(() => forwardedPorts(new URLSearchParams('port=http')), /unable to parse "http" as a port/);
});
