/** Shared setup of the ImageVerification tests: images pushed and signed, pods and policies written. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { runImage } from '../../src/cli/image.ts';
import { signImage } from '../../src/image-policy/oci/cosign-sign.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import type { RegistryClient } from '../../src/image-policy/registry/client.ts';
import type { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import type { TestClient } from '../helpers/client.ts';

export const CIP = '/apis/policy.portcullis.dev/v1alpha1/clusterimagepolicies';
export const PODS = '/api/v1/namespaces/default/pods';

/** A one-file image whose content (and so digest) depends on `text`; its digest. */
export async function pushImage(work: string, ref: string, text: string): Promise<string> {
  const dir = mkdtempSync(join(work, 'ctx-'));
  writeFileSync(join(dir, 'version.txt'), text);
  let out = '';
  const code = await runImage(['push', '--from-dir', dir, ref, '--entrypoint', '/bin/busybox', '--cmd', 'cat', '--cmd', '/version.txt'], (s) => (out += s));
  assert.equal(code, 0, out);
  return /@(sha256:[0-9a-f]{64})/.exec(out)![1]!;
}

export async function sign(client: RegistryClient, pusher: RegistryPusher, ref: string, key: KeyObject): Promise<void> {
  await signImage(client, pusher, parseDockerRef(ref), key);
}

export function pod(name: string, ...images: string[]) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
}

export async function createPolicy(admin: TestClient, name: string, spec: Record<string, unknown>): Promise<void> {
  const r = await admin.post(CIP, { apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name }, spec });
  assert.equal(r.status, 201, r.text);
}

/** Waits until the policy CRDs are served and the default ServiceAccount exists (pods need it). */
export async function clusterReady(admin: TestClient): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [p, sa] = await Promise.all([admin.get(CIP), admin.get('/api/v1/namespaces/default/serviceaccounts/default')]);
    if (p.status === 200 && sa.status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('the policy CRDs were not served or the default ServiceAccount did not appear');
}

export const warningsOf = (h: string | string[] | undefined): string => (Array.isArray(h) ? h.join('\n') : (h ?? ''));
