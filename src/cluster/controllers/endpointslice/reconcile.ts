/**
 * The EndpointSlice reconciler (staging/src/k8s.io/endpointslice/reconciler.go), reduced to its
 * rules: slices are grouped by port list; an endpoint stays in the slice that already holds it
 * (replaced in place when it changed), gone endpoints are removed, new ones fill the slices that
 * are being written anyway, then the fullest slices with room, and only then new slices of at most
 * maxEndpointsPerSlice. A slice left empty, of a port list or address type no longer wanted, is
 * deleted. A Service without endpoints keeps one empty placeholder slice. Pure: it returns the
 * writes; the controller makes them.
 */
import type { K8sObject } from '../../client/types.ts';
import { endpointKey, portsKey, type EndpointGroup, type SliceEndpoint } from './desired.ts';

export interface SliceWrites {
  create: K8sObject[];
  update: K8sObject[];
  delete: K8sObject[];
}

export interface ReconcileInput {
  addressType: string;
  groups: Map<string, EndpointGroup>;
  /** This Service's managed slices of this address type. */
  existing: readonly K8sObject[];
  maxEndpointsPerSlice: number;
  /** A new slice, without endpoints and ports (labels, ownerReference, generateName). */
  newSlice(): K8sObject;
  labels: Record<string, string>;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function reconcileSlices(inp: ReconcileInput): SliceWrites {
  const out: SliceWrites = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, K8sObject[]>();
  for (const s of inp.existing) {
    const k = portsKey(s.ports);
    byPorts.set(k, [...(byPorts.get(k) ?? []), s]);
  }
  for (const [key, group] of inp.groups) {
    const want = new Map<string, SliceEndpoint>(group.endpoints.map((e) => [endpointKey(e), e]));
    const updated: K8sObject[] = [];
    const unchanged: K8sObject[] = [];
    for (const slice of byPorts.get(key) ?? []) {
      const kept: SliceEndpoint[] = [];
      let changed = !same(slice.metadata.labels, inp.labels);
      for (const ep of slice.endpoints ?? []) {
        const k = endpointKey(ep);
        const w = want.get(k);
        if (!w) {
          changed = true;
          continue;
        }
        want.delete(k);
        if (!same(ep, w)) changed = true;
        kept.push(w);
      }
      if (kept.length === 0) {
        out.delete.push(slice);
        continue;
      }
      const next = { ...slice, metadata: { ...slice.metadata, labels: inp.labels }, endpoints: kept, ports: group.ports };
      (changed ? updated : unchanged).push(next);
    }
    byPorts.delete(key);
    const remaining = [...want.values()];
    // Slices written anyway take new endpoints first; then the fullest slices that have room.
    unchanged.sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const slice of [...updated, ...unchanged]) {
      const room = inp.maxEndpointsPerSlice - slice.endpoints.length;
      if (room > 0 && remaining.length > 0) {
        slice.endpoints = [...slice.endpoints, ...remaining.splice(0, room)];
        if (!updated.includes(slice)) updated.push(slice);
      }
    }
    out.update.push(...updated);
    while (remaining.length > 0) {
      out.create.push({ ...inp.newSlice(), endpoints: remaining.splice(0, inp.maxEndpointsPerSlice), ports: group.ports });
    }
  }
  const leftover = [...byPorts.values()].flat();
  if (inp.groups.size === 0) {
    // No endpoints at all: one placeholder slice says the Service was seen (upstream's placeholder).
    const i = leftover.findIndex((s) => (s.endpoints ?? []).length === 0);
    if (i >= 0) {
      const [keep] = leftover.splice(i, 1);
      if (!same(keep!.metadata.labels, inp.labels) || (keep!.ports ?? []).length > 0) out.update.push({ ...keep!, metadata: { ...keep!.metadata, labels: inp.labels }, endpoints: [], ports: [] });
    } else out.create.push({ ...inp.newSlice(), endpoints: [], ports: [] });
  }
  out.delete.push(...leftover);
  return out;
}
