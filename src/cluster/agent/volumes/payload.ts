/**
 * What the kubelet writes into configMap, secret, downwardAPI and projected volumes (the plugins'
 * MakePayload / collectData), with upstream's messages. Pure: the caller fetches the objects and
 * the token and hands them in; a missing object is `undefined`.
 */
import type { ConfigMapProjection, DownwardAPIVolumeFile, KeyToPath, Pod, ProjectedVolumeSource, SecretProjection } from 'kubernetes-types/core/v1.js';
import type { K8sObject } from '../../client/types.ts';
import { fieldValue, resourceValue } from '../env.ts';
import type { FileProjection, Payload } from './atomic-writer.ts';
import { newAggregate } from '../../../util/aggregate-error.ts';

export const DEFAULT_MODE = 0o644;

export class VolumeSourceError extends Error {}

type Data = Record<string, Buffer>;

/** A ConfigMap's data and binaryData as bytes. */
export function configMapData(cm: K8sObject): Data {
  const out: Data = {};
  for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries((cm.binaryData ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64');
  return out;
}

export function secretData(s: K8sObject): Data {
  const out: Data = {};
  for (const [k, v] of Object.entries((s.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64');
  return out;
}

/**
 * The common MakePayload of the configMap and secret plugins: every key at its own name, or only
 * the items given (key → path, with their own mode); a missing key fails unless optional.
 */
export function keyPayload(data: Data, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean, missingKey: (key: string) => string): Payload {
  const out: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) out.set(k, { data: v, mode: defaultMode });
    return out;
  }
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeSourceError(missingKey(it.key));
    }
    out.set(it.path, { data: v, mode: it.mode ?? defaultMode });
  }
  return out;
}

export const configMapMissingKey = (key: string) => `configmap references non-existent config key: ${key}`;
export const secretMissingKey = (key: string) => `references non-existent secret key: ${key}`;

/** Go's %q for the strings labels and annotations hold (fieldpath.FormatMap). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}

/** fieldpath.FormatMap: `key="value"` lines in key order. */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${goQuote(m![k]!)}`).join('\n');
}

export interface DownwardContext {
  hostIP: string;
  allocatable: Readonly<Record<string, string>>;
}

/** downwardapi.CollectData: fieldRef (labels and annotations as FormatMap) and resourceFieldRef. */
export function downwardPayload(pod: Pod, items: readonly DownwardAPIVolumeFile[], defaultMode: number, ctx: DownwardContext): Payload {
  const out: Payload = new Map();
  const errors: Error[] = [];
  for (const f of items) {
    const mode = f.mode ?? defaultMode;
    try {
      if (f.fieldRef) {
        const path = f.fieldRef.fieldPath;
        const text = path === 'metadata.labels' ? formatMap(pod.metadata?.labels) : path === 'metadata.annotations' ? formatMap(pod.metadata?.annotations) : fieldValue(pod, f.fieldRef, ctx.hostIP);
        out.set(f.path, { data: Buffer.from(text, 'utf8'), mode });
      } else if (f.resourceFieldRef) {
        const name = f.resourceFieldRef.containerName;
        const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);
        if (!c) throw new VolumeSourceError(`container ${name ?? ''} not found`);
        out.set(f.path, { data: Buffer.from(resourceValue(pod, c, f.resourceFieldRef, ctx.allocatable), 'utf8'), mode });
      }
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (errors.length) throw newAggregate(errors)!;
  return out;
}

export interface ProjectedInputs {
  configMaps: ReadonlyMap<string, K8sObject | undefined>;
  secrets: ReadonlyMap<string, K8sObject | undefined>;
  /** The serviceAccountToken source's token, by the source's index. */
  tokens: ReadonlyMap<number, string>;
  /** The projected token's owner when every container runs as one non-root user (fsUser). */
  fsUser?: number;
  /** The pod has an fsGroup or fsUser: tokens are 0600 (upstream's projected plugin). */
  privateToken: boolean;
}

/** projected.collectData: the sources in order, later paths replacing earlier ones. */
export function projectedPayload(pod: Pod, src: ProjectedVolumeSource, ctx: DownwardContext, inp: ProjectedInputs): Payload {
  const defaultMode = src.defaultMode ?? DEFAULT_MODE;
  const out: Payload = new Map();
  const errors: Error[] = [];
  const put = (p: Payload) => p.forEach((v, k) => out.set(k, v));
  (src.sources ?? []).forEach((s, i) => {
    try {
      source(s, i);
    } catch (err) {
      errors.push(err as Error);
    }
  });
  if (errors.length) throw newAggregate(errors)!;
  return out;

  function source(s: NonNullable<ProjectedVolumeSource['sources']>[number], i: number): void {
    if (s.configMap) put(projectedKeys('configMap', s.configMap, inp.configMaps.get(s.configMap.name ?? ''), configMapData, configMapMissingKey, defaultMode));
    else if (s.secret) put(projectedKeys('secret', s.secret, inp.secrets.get(s.secret.name ?? ''), secretData, secretMissingKey, defaultMode));
    else if (s.downwardAPI) put(downwardPayload(pod, s.downwardAPI.items ?? [], defaultMode, ctx));
    else if (s.serviceAccountToken) {
      const token = inp.tokens.get(i);
      if (token === undefined) throw new VolumeSourceError('failed to fetch token: no token');
      const f: FileProjection = { data: Buffer.from(token, 'utf8'), mode: inp.privateToken ? 0o600 : defaultMode };
      if (inp.fsUser !== undefined) f.fsUser = inp.fsUser;
      out.set(s.serviceAccountToken.path, f);
    } else if (s.clusterTrustBundle) throw new VolumeSourceError('clusterTrustBundle projections are not supported by this node agent');
  }
}

function projectedKeys(kind: 'configMap' | 'secret', p: ConfigMapProjection | SecretProjection, obj: K8sObject | undefined, data: (o: K8sObject) => Data, missing: (k: string) => string, defaultMode: number): Payload {
  const optional = p.optional === true;
  if (!obj) {
    if (optional) return new Map();
    throw new VolumeSourceError(`${kind === 'configMap' ? 'configmap' : 'secret'} "${p.name ?? ''}" not found`);
  }
  return keyPayload(data(obj), p.items, defaultMode, optional, missing);
}
