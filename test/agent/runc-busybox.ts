/**
 * A node's runtime for the runc agent tests: a busybox image built and imported into an image
 * store under `work`, a RuncRuntime beside it, and the clean-up that leaves nothing running or
 * mounted. Needs root, runc and busybox-static (the tests skip without them).
 */
import { join } from 'node:path';
import { buildImage } from '../../src/image-policy/oci/build.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import { ImageStore } from '../../src/cluster/agent/runtime/image-store.ts';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import { removeEverything } from '../../src/cluster/agent/node-runtime.ts';
import { unmountAll } from '../../src/cluster/agent/volumes/mounts.ts';

/** The busybox image's reference in the store. */
export const BUSYBOX_IMAGE = 'portcullis.local/bb:v1';

export async function busyboxOnRunc(work: string): Promise<{ images: ImageStore; rt: RuncRuntime }> {
  const ctx = await busyboxRootfs(join(work, 'ctx'));
  await buildImage({ contextDir: ctx.rootfs, outputDir: join(work, 'bb.oci'), refName: 'v1', cmd: ['sh'], env: ['PATH=/bin'] });
  const images = new ImageStore({ root: join(work, 'runtime') });
  await images.importLayout(join(work, 'bb.oci'), BUSYBOX_IMAGE);
  return { images, rt: new RuncRuntime({ stateRoot: join(work, 'runtime') }) };
}

/** Every container and sandbox removed, then the pods' volumes a failed test left mounted, so `work` can go. */
export async function removeRuncNode(rt: RuncRuntime | undefined, work: string): Promise<void> {
  if (!rt) return;
  await removeEverything(rt);
  rt.close();
  await unmountAll(join(work, 'pods'));
}
