/** Container traversal and pod predicates shared by the checks (upstream policy/visitor.go). */
import type { ContainerLike, PodSpecLike } from './types.ts';

/** Visits init containers, then containers, then ephemeral containers: upstream's order. */
export function forEachContainer(spec: PodSpecLike, visit: (c: ContainerLike) => void): void {
  const lists = [spec.initContainers, spec.containers, spec.ephemeralContainers];
  for (let l = 0; l < 3; l++) {
    const list = lists[l];
    if (!list) continue;
    for (let i = 0; i < list.length; i++) visit(list[i]!);
  }
}

export function containerName(c: ContainerLike): string {
  return c.name ?? '';
}

/** spec.os.name == "windows": API validation already rejects Linux-only fields on such pods. */
export function isWindowsPod(spec: PodSpecLike): boolean {
  return spec.os?.name === 'windows';
}

/** spec.hostUsers == false: the pod runs in its own user namespace. */
export function inUserNamespace(spec: PodSpecLike): boolean {
  return spec.hostUsers === false;
}
