/**
 * Manifests to the model's inputs, as np-guard's netpol-analyzer reads them: every YAML/JSON file
 * under a directory (multi-document YAML and v1 List objects too); each workload stands for its
 * pods (labels and container ports from its pod template), a Pod with a controlling owner stands
 * for that owner, objects without a namespace are in "default", and namespaces that pods use but
 * no manifest defines exist with only their kubernetes.io/metadata.name label.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Snapshot } from './compile.ts';
import type { ContainerPort, NamespaceInfo, PodInfo } from './types.ts';
import { canonicalIPv4s } from '../../util/ip-sloppy.ts';

type Json = Record<string, unknown>;

const WORKLOADS: Record<string, (spec: Json) => Json | undefined> = {
  Deployment: (s) => s.template as Json,
  ReplicaSet: (s) => s.template as Json,
  ReplicationController: (s) => s.template as Json,
  StatefulSet: (s) => s.template as Json,
  DaemonSet: (s) => s.template as Json,
  Job: (s) => s.template as Json,
  CronJob: (s) => ((s.jobTemplate as Json | undefined)?.spec as Json | undefined)?.template as Json,
};

/** Bounds for what a directory of manifests may make us hold. */
const MAX_FILE_BYTES = 64 << 20;
const MAX_OBJECTS = 200_000;

export function readManifestDir(dir: string): Json[] {
  const out: Json[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/i.test(name)) {
        if (st.size > MAX_FILE_BYTES) throw new Error(`${p}: larger than ${MAX_FILE_BYTES} bytes`);
        for (const doc of parseAllDocuments(readFileSync(p, 'utf8'))) {
          if (doc.errors.length > 0) throw new Error(`${p}: ${doc.errors[0]!.message}`);
          addObject(out, doc.toJS({ maxAliasCount: 100 }) as unknown);
          if (out.length > MAX_OBJECTS) throw new Error(`more than ${MAX_OBJECTS} objects under ${dir}`);
        }
      }
    }
  };
  walk(dir);
  return out;
}

function addObject(out: Json[], o: unknown): void {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return;
  const obj = o as Json;
  const kind = String(obj.kind ?? '');
  if (Array.isArray(obj.items) && (kind === '' || kind.endsWith('List'))) {
    const itemKind = kind.endsWith('List') && kind !== 'List' ? kind.slice(0, -4) : undefined;
    for (const it of obj.items as Json[]) addObject(out, it && typeof it === 'object' && !it.kind && itemKind ? { ...it, kind: itemKind } : it);
    return;
  }
  out.push(obj);
}

/** The analyzer's snapshot of a set of objects (from manifests or from a live cluster). */
export function snapshotFromObjects(objects: readonly Json[]): Snapshot {
  const pods: PodInfo[] = [];
  const namespaces = new Map<string, NamespaceInfo>();
  const networkPolicies: Json[] = [];
  const adminNetworkPolicies: Json[] = [];
  let baselineAdminNetworkPolicy: Json | undefined;
  const seen = new Set<string>();
  for (const o of objects) {
    const meta = (o.metadata ?? {}) as Json;
    const name = String(meta.name ?? '');
    const ns = String(meta.namespace || 'default');
    const kind = String(o.kind ?? '');
    if (kind === 'Namespace') {
      namespaces.set(name, { name, labels: { ...((meta.labels as Record<string, string>) ?? {}), 'kubernetes.io/metadata.name': name } });
    } else if (kind === 'Pod') {
      addPod(pods, seen, podInfoFromObject(o));
    } else if (kind in WORKLOADS) {
      const tmpl = WORKLOADS[kind]!((o.spec ?? {}) as Json) ?? {};
      addPod(pods, seen, podInfo(ns, `${name}-1`, (tmpl.metadata as Json | undefined)?.labels, tmpl.spec as Json, { kind, name }, []));
    } else if (kind === 'NetworkPolicy') {
      networkPolicies.push({ ...o, metadata: { ...meta, namespace: ns } });
    } else if (kind === 'AdminNetworkPolicy') {
      adminNetworkPolicies.push(o);
    } else if (kind === 'BaselineAdminNetworkPolicy') {
      baselineAdminNetworkPolicy = o;
    }
  }
  for (const p of pods) if (!namespaces.has(p.namespace)) namespaces.set(p.namespace, { name: p.namespace, labels: { 'kubernetes.io/metadata.name': p.namespace } });
  return { pods, namespaces, policies: { networkPolicies, adminNetworkPolicies, baselineAdminNetworkPolicy } };
}

/** A Pod object as the model sees it: labels, container ports, controlling owner, IPv4 addresses. */
export function podInfoFromObject(o: Json): PodInfo {
  const meta = (o.metadata ?? {}) as Json;
  const name = String(meta.name ?? '');
  const owner = ((meta.ownerReferences as Json[] | undefined) ?? []).find((r) => r.controller === true && r.kind !== 'Node');
  return podInfo(String(meta.namespace || 'default'), name, meta.labels, o.spec as Json, owner ? { kind: String(owner.kind ?? '') || 'Pod', name: String(owner.name) } : { kind: 'Pod', name }, podIPs(o));
}

function podIPs(o: Json): string[] {
  const status = (o.status ?? {}) as Json;
  const ips = ((status.podIPs as Json[] | undefined) ?? []).map((p) => String(p.ip));
  if (ips.length === 0 && typeof status.podIP === 'string') ips.push(status.podIP);
  // The API accepts legacy forms ("010.244.000.005", "::ffff:10.244.0.5"): the IPv4 address they
  // stand for, canonical, is what goes into the ruleset (nft would read leading zeros as octal).
  return canonicalIPv4s(ips);
}

function podInfo(namespace: string, name: string, labels: unknown, spec: Json | undefined, owner: PodInfo['owner'], ips: string[]): PodInfo {
  const ports: ContainerPort[] = [];
  for (const c of ((spec?.containers as Json[] | undefined) ?? [])) for (const p of ((c.ports as Json[] | undefined) ?? [])) ports.push({ name: p.name as string | undefined, containerPort: Number(p.containerPort), protocol: p.protocol as string | undefined });
  return { key: `${namespace}/${name}`, namespace, name, labels: { ...((labels as Record<string, string>) ?? {}) }, ports, owner, ips };
}

function addPod(pods: PodInfo[], seen: Set<string>, pod: PodInfo): void {
  if (seen.has(pod.key)) return;
  seen.add(pod.key);
  pods.push(pod);
}
