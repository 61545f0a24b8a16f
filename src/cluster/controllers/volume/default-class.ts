/**
 * The local-path StorageClass `portcullis up` keeps in place when the binder runs (as k3s applies
 * its local-storage manifest): created through the API when missing, left alone when present
 * (an administrator's edits stand). Another default class does not stop it: the binder then picks
 * the newest default, as upstream.
 */
import { isAlreadyExists } from '../../client/errors.ts';
import type { ApiClient } from '../../client/types.ts';
import { STORAGE_CLASSES } from './binder-ops.ts';
import { LOCAL_PATH_CLASS, localPathStorageClass } from './local-path.ts';

export async function ensureLocalPathClass(client: ApiClient): Promise<'created' | 'present'> {
  try {
    await client.create(STORAGE_CLASSES, '', localPathStorageClass());
    return 'created';
  } catch (err) {
    if (isAlreadyExists(err)) return 'present';
    throw new Error(`creating StorageClass ${LOCAL_PATH_CLASS}: ${(err as Error).message}`);
  }
}
