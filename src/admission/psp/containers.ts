/** The containers of a pod spec with their field paths (upstream pods.VisitContainersWithPath). */
type Obj = Record<string, any>;

export function containersWithPath(pod: Obj): { container: Obj; path: string }[] {
  const out: { container: Obj; path: string }[] = [];
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers']) {
    (pod.spec?.[kind] ?? []).forEach((c: Obj, i: number) => out.push({ container: c, path: `spec.${kind}[${i}]` }));
  }
  return out;
}
