/**
 * The accept queue a listening server asks for, as Go's net package sizes it (maxListenerBacklog):
 * the kernel's net.core.somaxconn, since a larger request is cut to it anyway. Node asks for 511
 * whatever the kernel allows, so a burst of new connections (5,000 kubelets registering after a
 * restart) overflowed the queue: dropped SYNs, each retried by its client a second or more later.
 */
import { readFileSync } from 'node:fs';

/** Node's own default, kept when the kernel's value cannot be read. */
export const NODE_DEFAULT_BACKLOG = 511;
/** Go caps the value at what the kernel's 16-bit field held before Linux 4.1. */
const MAX_BACKLOG = 65535;

/** The backlog for somaxconn's text (undefined: unreadable). */
export function backlogFrom(somaxconn: string | undefined): number {
  const n = Number.parseInt((somaxconn ?? '').trim(), 10);
  if (!Number.isInteger(n) || n <= 0) return NODE_DEFAULT_BACKLOG;
  return Math.min(n, MAX_BACKLOG);
}

export function listenBacklog(path = '/proc/sys/net/core/somaxconn'): number {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = undefined;
  }
  return backlogFrom(text);
}
