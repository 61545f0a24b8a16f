/** autoscaling HorizontalPodAutoscaler (v2 shape, the stored one), after upstream's printers.go. */
import { since } from '../duration.ts';
import { arr, int, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { AGE, NAME } from './meta.ts';
import { lazyPrinter, protoDoc } from './proto-docs.ts';

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** One metric as upstream's formatHPAMetrics prints it: "<current>/<target>". */
function formatMetric(spec: Obj, status: Obj | undefined): string {
  const unknown = '<unknown>';
  switch (spec.type) {
    case 'External':
    case 'Object': {
      const key = spec.type === 'External' ? 'external' : 'object';
      const target = obj(obj(spec[key]).target);
      const cur = status ? obj(status[key]) : undefined;
      if (present(target.averageValue)) {
        const current = cur && present(cur.current) && present(obj(cur.current).averageValue) ? str(obj(cur.current).averageValue) : unknown;
        return `${current}/${str(target.averageValue)} (avg)`;
      }
      const current = cur && present(status![key]) ? str(obj(cur.current).value) || '0' : unknown;
      return `${current}/${str(target.value) || '0'}`;
    }
    case 'Pods': {
      const cur = status && present(status.pods) ? str(obj(obj(status.pods).current).averageValue) || '0' : unknown;
      return `${cur}/${str(obj(obj(spec.pods).target).averageValue) || '0'}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
      const src = obj(spec[key]);
      const target = obj(src.target);
      const cur = status && present(status[key]) ? obj(obj(status[key]).current) : undefined;
      if (present(target.averageValue)) {
        return `${str(src.name)}: ${cur ? str(cur.averageValue) || '0' : unknown}/${str(target.averageValue)}`;
      }
      const current = cur && present(cur.averageUtilization) ? `${int(cur.averageUtilization)}%` : unknown;
      const want = present(target.averageUtilization) ? `${int(target.averageUtilization)}%` : '<auto>';
      return `${str(src.name)}: ${current}/${want}`;
    }
    default:
      return '<unknown type>';
  }
}

/** formatHPAMetrics: at most two metrics, then "+ N more...". */
export function formatHpaMetrics(specs: unknown, statuses: unknown): string {
  const ss = arr(specs);
  if (ss.length === 0) return '<none>';
  const st = arr(statuses);
  const list = ss.map((s, i) => formatMetric(s, st[i]));
  const max = 2;
  if (list.length <= max) return list.join(', ');
  return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
}

const T = 'autoscaling.v2.HorizontalPodAutoscalerSpec';

export const horizontalPodAutoscalerPrinter: Printer = lazyPrinter(
  () => [
    NAME,
    column('Reference', 'string', protoDoc(T, 'scaleTargetRef')),
    column('Targets', 'string', protoDoc(T, 'metrics')),
    column('MinPods', 'string', protoDoc(T, 'minReplicas')),
    column('MaxPods', 'string', protoDoc(T, 'maxReplicas')),
    column('Replicas', 'string', protoDoc('autoscaling.v2.HorizontalPodAutoscalerStatus', 'currentReplicas')),
    AGE,
  ],
  (o, now) => {
    const spec = obj(o.spec);
    const ref = obj(spec.scaleTargetRef);
    const minPods = present(spec.minReplicas) ? String(int(spec.minReplicas)) : '<unset>';
    return [
      str(obj(o.metadata).name),
      `${str(ref.kind)}/${str(ref.name)}`,
      formatHpaMetrics(spec.metrics, obj(o.status).currentMetrics),
      minPods,
      int(spec.maxReplicas),
      int(obj(o.status).currentReplicas),
      since(obj(o.metadata).creationTimestamp, now),
    ];
  },
);
