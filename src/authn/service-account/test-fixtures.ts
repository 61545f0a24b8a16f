/** Shared fixtures for the service account tests: keys, an in-memory object store, a clock. */
import { generateKeyPairSync } from 'node:crypto';
import { parseSigningKeyPem, type SigningKey, type VerificationKey } from './keys.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const T0 = new Date('2030-01-01T00:00:00Z');

export function ecKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return parseSigningKeyPem(privateKey.export({ type: 'sec1', format: 'pem' }).toString(), 'test-ec');
}

export function rsaKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return parseSigningKeyPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 'test-rsa');
}

export function verificationOf(k: SigningKey): VerificationKey {
  return { kid: k.kid, alg: k.alg, key: k.publicKey };
}

/** A map standing in for the Store: values as the REST layer stores them. */
export class FakeObjects {
  readonly objects = new Map<string, unknown>();

  get = async (key: string): Promise<{ value: unknown } | undefined> => {
    const v = this.objects.get(key);
    return v === undefined ? undefined : { value: structuredClone(v) };
  };

  put(key: string, value: unknown): void {
    this.objects.set(key, value);
  }

  delete(key: string): void {
    this.objects.delete(key);
  }

  serviceAccount(ns: string, name: string, uid: string): void {
    this.put(builtinKey('', 'serviceaccounts', ns, name), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, uid } });
  }

  pod(ns: string, name: string, uid: string, serviceAccountName = 'default', nodeName?: string): void {
    const spec: Record<string, unknown> = { serviceAccountName, containers: [{ name: 'c', image: 'busybox' }] };
    if (nodeName) spec.nodeName = nodeName;
    this.put(builtinKey('', 'pods', ns, name), { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, uid }, spec });
  }

  node(name: string, uid: string): void {
    this.put(builtinKey('', 'nodes', name), { apiVersion: 'v1', kind: 'Node', metadata: { name, uid } });
  }

  secret(ns: string, name: string, uid: string, extra: Record<string, unknown> = {}): void {
    this.put(builtinKey('', 'secrets', ns, name), { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, uid }, ...extra });
  }
}

/** A mutable clock. */
export function clock(start = T0): { now: () => Date; set: (d: Date) => void; advance: (seconds: number) => void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (d) => {
      t = d.getTime();
    },
    advance: (s) => {
      t += s * 1000;
    },
  };
}
