/** batch/v1 jobs and cron jobs, after upstream's printers. */
import { doc } from '../field-docs.ts';
import { humanDuration, parseTime, since } from '../duration.ts';
import { arr, conditionTrue, containerCells, formatLabelSelector, int, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { AGE, CONTAINERS, IMAGES, NAME } from './meta.ts';

const name = (o: Obj): string => str(obj(o.metadata).name);
const age = (o: Obj, now: Date): string => since(obj(o.metadata).creationTimestamp, now);
const SELECTOR = column('Selector', 'string', doc('batch/v1:JobSpec.selector'), { priority: 1 });

function jobCompletions(spec: Obj, succeeded: number): string {
  if (typeof spec.completions === 'number') return `${succeeded}/${int(spec.completions)}`;
  const parallelism = int(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(status: Obj, now: Date): string {
  const start = parseTime(status.startTime);
  if (start === undefined) return '';
  const end = parseTime(status.completionTime);
  return humanDuration((end ?? now.getTime()) - start);
}

function jobStatus(o: Obj): string {
  const conditions = obj(o.status).conditions;
  if (conditionTrue(conditions, 'Complete')) return 'Complete';
  if (conditionTrue(conditions, 'Failed')) return 'Failed';
  if (obj(o.metadata).deletionTimestamp) return 'Terminating';
  if (conditionTrue(conditions, 'Suspended')) return 'Suspended';
  if (conditionTrue(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', doc('batch/v1:JobStatus.succeeded')),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    return [
      name(o),
      jobStatus(o),
      jobCompletions(spec, int(status.succeeded)),
      jobDuration(status, now),
      age(o, now),
      ...containerCells(obj(obj(spec.template).spec).containers),
      formatLabelSelector(spec.selector),
    ];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    NAME,
    column('Schedule', 'string', doc('batch/v1beta1:CronJobSpec.schedule')),
    column('Timezone', 'string', doc('batch/v1beta1:CronJobSpec.timeZone')),
    column('Suspend', 'boolean', doc('batch/v1beta1:CronJobSpec.suspend')),
    column('Active', 'integer', doc('batch/v1beta1:CronJobStatus.active')),
    column('Last Schedule', 'string', doc('batch/v1beta1:CronJobStatus.lastScheduleTime')),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const jobSpec = obj(obj(spec.jobTemplate).spec);
    const suspend = typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>';
    return [
      name(o),
      str(spec.schedule),
      spec.timeZone === undefined || spec.timeZone === null ? '<none>' : str(spec.timeZone),
      suspend,
      arr(status.active).length,
      status.lastScheduleTime ? since(status.lastScheduleTime, now) : '<none>',
      age(o, now),
      ...containerCells(obj(obj(jobSpec.template).spec).containers),
      formatLabelSelector(jobSpec.selector),
    ];
  },
};
