/**
 * hostPath volumes' type check (pkg/volume/hostpath checkTypeInternal) with upstream's messages:
 * DirectoryOrCreate makes the directory (0755), FileOrCreate an empty file (0644, the parent must
 * exist); the other types only check what is there. Unset or "" checks nothing.
 */
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import type { HostPathVolumeSource } from 'kubernetes-types/core/v1.js';

export class HostPathTypeError extends Error {}

async function statOr(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

export async function checkHostPathType(src: HostPathVolumeSource): Promise<void> {
  const type = src.type ?? '';
  const path = src.path;
  if (type === '') return;
  const st = await statOr(path);
  const fail = (what: string) => new HostPathTypeError(`hostPath type check failed: ${path} is not ${what}`);
  switch (type) {
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!st && type === 'DirectoryOrCreate') {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
      if (!st?.isDirectory()) throw fail('a directory');
      return;
    case 'FileOrCreate':
    case 'File':
      if (!st && type === 'FileOrCreate') {
        // O_CREAT without O_EXCL, as upstream: a file made meanwhile is fine.
        const fh = await open(path, constants.O_RDONLY | constants.O_CREAT, 0o644);
        await fh.close();
        return;
      }
      if (!st?.isFile()) throw fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) throw fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw fail('a block device');
      return;
    default:
      throw new HostPathTypeError(`${type} is an invalid volume type`);
  }
}
