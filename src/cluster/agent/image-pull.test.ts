import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pullCredentials } from './image-pull.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const secrets: Record<string, K8sObject> = {
  hub: { metadata: { name: 'hub' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') } } })) } },
  local: { metadata: { name: 'local' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { '127.0.0.1:5000': { username: 'any', password: 'a' }, '127.0.0.1:5000/team': { username: 'team', password: 't' } } })) } },
  legacy: { metadata: { name: 'legacy' }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'ghcr.io': { auth: b64('gh:pat') } })) } },
  // The right key, the wrong type: the kubelet reads a Secret by its type.
  untyped: { metadata: { name: 'untyped' }, type: 'Opaque', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'quay.io': { username: 'q', password: 'q' } } })) } },
  garbage: { metadata: { name: 'garbage' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{not json') } },
};
const reads: string[] = [];
const client = {
  get: async (_r: unknown, _ns: string, name: string) => {
    reads.push(name);
    const s = secrets[name];
    if (!s) throw new Error('not found');
    return s;
  },
} as unknown as ApiClient;
const pod = (names: string[]): Pod => ({ metadata: { namespace: 'ns' }, spec: { containers: [], imagePullSecrets: names.map((name) => ({ name })) } });

test('pull credentials: the kubelet keyring\'s matching over the pod\'s pull Secrets, by type', async () => {
  const all = pod(['missing', 'garbage', 'untyped', 'hub', 'local', 'legacy']);
  assert.deepEqual(await pullCredentials(client, all, 'busybox:1.36'), { username: 'hubuser', password: 'hubpass' });
  assert.deepEqual(await pullCredentials(client, all, 'docker.io/library/busybox'), { username: 'hubuser', password: 'hubpass' });
  assert.deepEqual(await pullCredentials(client, all, '127.0.0.1:5000/team/app:v1'), { username: 'team', password: 't' }, 'the most specific key first');
  assert.deepEqual(await pullCredentials(client, all, '127.0.0.1:5000/other:v1'), { username: 'any', password: 'a' });
  assert.deepEqual(await pullCredentials(client, all, 'ghcr.io/a/b'), { username: 'gh', password: 'pat' });
  assert.equal(await pullCredentials(client, all, 'quay.io/x/y'), undefined, 'an Opaque Secret is not a pull Secret');
  assert.equal(await pullCredentials(client, pod([]), 'busybox'), undefined);
});

test('pull credentials: at most 32 Secrets are read for one image', async () => {
  reads.length = 0;
  await pullCredentials(client, pod(Array.from({ length: 100 }, (_, i) => `s${i}`)), 'busybox');
  assert.equal(reads.length, 32);
});
