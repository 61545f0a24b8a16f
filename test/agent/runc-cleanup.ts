/**
 * The `after` of the runc runtime tests: every container and sandbox under `<root>/state` is
 * removed (their mounts with them) by a runtime of its own, whatever the tests left, then the
 * runtimes are closed and the root is deleted.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';

export async function removeRuncState(root: string, runtimes: readonly RuncRuntime[]): Promise<void> {
  if (!root) return;
  const cleaner = new RuncRuntime({ stateRoot: join(root, 'state') });
  try {
    const { containers, sandboxes } = await cleaner.list();
    for (const c of containers) await cleaner.removeContainer(c.id).catch(() => undefined);
    for (const s of sandboxes) await cleaner.removeSandbox(s.id).catch(() => undefined);
  } finally {
    for (const r of [...runtimes, cleaner]) r.close();
    await rm(root, { recursive: true, force: true });
  }
}
