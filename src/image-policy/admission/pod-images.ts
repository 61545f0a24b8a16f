/**
 * Where the images of a Pod or of a workload's pod template are: containers, init containers
 * and ephemeral containers, each with its JSON path (for messages) and a setter (for pinning).
 * The workload kinds are policy-controller's: Deployment, ReplicaSet, StatefulSet, DaemonSet,
 * Job and CronJob.
 */
type Obj = Record<string, any>;

export interface ImageSlot {
  /** spec.containers[0].image, spec.template.spec.initContainers[1].image, ... */
  path: string;
  image: string;
  set(image: string): void;
}

const TEMPLATE_KINDS: Record<string, string[]> = {
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The pod spec's path within an object of this kind: a Pod's own, a template's, or none. */
export function podSpecPath(group: string, kind: string): string[] | undefined {
  if (group === '' && kind === 'Pod') return ['spec'];
  return TEMPLATE_KINDS[`${group}/${kind}`];
}

export function isTemplateKind(group: string, kind: string): boolean {
  return Object.hasOwn(TEMPLATE_KINDS, `${group}/${kind}`);
}

function at(obj: Obj | undefined, path: readonly string[]): Obj | undefined {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[p];
  }
  return cur !== null && typeof cur === 'object' ? (cur as Obj) : undefined;
}

export function podSpecOf(obj: Obj | undefined, path: readonly string[]): Obj | undefined {
  return at(obj, path);
}

/** Every container image of the object's pod spec, in spec order. */
export function imageSlots(obj: Obj | undefined, path: readonly string[]): ImageSlot[] {
  const spec = at(obj, path);
  if (!spec) return [];
  const out: ImageSlot[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c: Obj, i: number) => {
      if (!c || typeof c.image !== 'string') return;
      out.push({ path: `${path.join('.')}.${field}[${i}].image`, image: c.image, set: (image) => (c.image = image) });
    });
  }
  return out;
}
