import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubernetesUserAgent, API_SERVER_USER_AGENT } from './user-agent.ts';
import { versionInfo } from '../../server/version.ts';

test('client-go shape: command/version (os/arch) kubernetes/commit, version cut at "-", commit at 7', () => {
  const v = versionInfo();
  const ua = kubernetesUserAgent('kube-controller-manager');
  assert.match(ua, /^kube-controller-manager\/v\d+\.\d+\.\d+\S* \([a-z0-9]+\/[a-z0-9]+\) kubernetes\/\S{1,7}$/);
  assert.ok(ua.includes(`(${v.platform})`), ua);
  assert.ok(!ua.includes('x64'), `Go's arch names: ${ua}`);
  assert.equal(ua.split(' kubernetes/')[1], v.gitCommit!.slice(0, 7));
  assert.ok(ua.startsWith(`kube-controller-manager/${v.gitVersion!.split('-')[0]} `), ua);
});

test('AddUserAgent appends /suffix to the default', () => {
  assert.equal(kubernetesUserAgent('kube-scheduler', 'leader-election'), `${kubernetesUserAgent('kube-scheduler')}/leader-election`);
  assert.equal(kubernetesUserAgent('kube-controller-manager', 'system:serviceaccount:kube-system:job-controller'), `${kubernetesUserAgent('kube-controller-manager')}/system:serviceaccount:kube-system:job-controller`);
  assert.ok(API_SERVER_USER_AGENT.startsWith('kube-apiserver/v'));
});
