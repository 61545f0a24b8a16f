import assert from 'node:assert/strict';
import type { TestClient } from './client.ts';

export const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** A CRD with one served and stored version whose schema keeps every field. */
export function crdManifest(group: string, plural: string, kind: string, version: string, scope: string, annotations?: Record<string, string>) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, ...(annotations ? { annotations } : {}) },
    spec: {
      group,
      scope,
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

/** Polls `fn` until it answers something other than undefined (5 s at most). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A condition of the CRD's status, undefined while it has none of that type. */
export async function crdCondition(client: TestClient, name: string, type: string): Promise<any> {
  const r = await client.get(`${CRDS}/${name}`);
  return (r.body.status?.conditions ?? []).find((x: any) => x.type === type);
}
