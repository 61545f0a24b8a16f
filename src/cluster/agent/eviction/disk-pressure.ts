/**
 * The disk signals' observations (makeSignalObservations for nodefs and imagefs): statfs of the
 * node's file system (where pods, their volumes and logs live) and of the image file system (where
 * images and container layers live; here both are the agent's data directory), available bytes as
 * cadvisor counts them (bavail) and free inodes, against capacity. The thresholds, the monitor and
 * the DiskPressure condition are the eviction manager's (thresholds.ts, pressure-monitor.ts).
 */
import type { DiskSignal, Observation } from './thresholds.ts';

/** What statfs(2) says about a file system (node:fs statfs's fields the signals need). */
export interface FsStats {
  bsize: number;
  blocks: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** The four disk signals from the two file systems' statfs. */
export function observeDisk(nodefs: FsStats, imagefs: FsStats): Record<DiskSignal, Observation> {
  const bytes = (s: FsStats): Observation => ({ available: s.bavail * s.bsize, capacity: s.blocks * s.bsize });
  const inodes = (s: FsStats): Observation => ({ available: s.ffree, capacity: s.files });
  return { 'nodefs.available': bytes(nodefs), 'nodefs.inodesFree': inodes(nodefs), 'imagefs.available': bytes(imagefs), 'imagefs.inodesFree': inodes(imagefs) };
}
