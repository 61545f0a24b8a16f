/**
 * CRI UpdateContainerResources for runc (in-place pod resize): `runc update --resources` sets a
 * running container's own cgroup (cpu shares, CFS quota and period, memory limit and swap) without
 * a restart; what the container runs with is kept beside its bundle (resources.json), so a status
 * after an agent restart still reports it. Before any update: the resources of the OCI spec it was
 * created with (bundle/config.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupResources } from './cgroup-resources.ts';
import { runc, type RuncCli } from './runc-cli.ts';
import { writeJsonAtomic } from './state-files.ts';

const RESOURCES_FILE = 'resources.json';

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The cpu and memory part of an OCI LinuxResources (the spec's, or what an update wrote). */
function fromLinuxResources(r: Record<string, any> | undefined): CgroupResources | undefined {
  if (!r || typeof r !== 'object') return undefined;
  const cpu = r.cpu ?? {};
  const out: CgroupResources = { cpu: { shares: Number(cpu.shares ?? 0) } };
  if (typeof cpu.quota === 'number' && cpu.quota > 0) out.cpu = { ...out.cpu, quota: cpu.quota, period: Number(cpu.period ?? 100_000) };
  if (typeof r.memory?.limit === 'number' && r.memory.limit > 0) out.memory = { limit: r.memory.limit, swap: Number(r.memory.swap ?? r.memory.limit) };
  return out;
}

/** What the container in `dir` runs with now; undefined when there is no such container. */
export function readContainerResources(dir: string): CgroupResources | undefined {
  const updated = readJson(join(dir, RESOURCES_FILE));
  if (updated) return updated as CgroupResources;
  const spec = readJson(join(dir, 'bundle', 'config.json')) as { linux?: { resources?: Record<string, unknown> } } | undefined;
  return fromLinuxResources(spec?.linux?.resources);
}

/**
 * Applies `r` to the running container `id` (its bundle in `dir`). Only what is set changes: a
 * container without a CPU or memory limit keeps none (validation refuses removing one).
 */
export async function updateContainerResources(cli: RuncCli, dir: string, id: string, r: CgroupResources): Promise<void> {
  const linux: Record<string, Record<string, number>> = { cpu: { shares: r.cpu.shares } };
  if (r.cpu.quota !== undefined) Object.assign(linux.cpu!, { quota: r.cpu.quota, period: r.cpu.period ?? 100_000 });
  if (r.memory) linux.memory = { limit: r.memory.limit, swap: r.memory.swap };
  const file = join(dir, 'update.json');
  await writeJsonAtomic(file, linux);
  await runc(cli, ['update', '--resources', file, id]);
  await writeJsonAtomic(join(dir, RESOURCES_FILE), r);
}
