/**
 * The API Priority and Fairness metrics upstream exports (k8s.io/apiserver/pkg/util/flowcontrol/
 * metrics), with its names, help texts, labels and wait-duration buckets, on the server's registry.
 * Their label sets are FlowSchema × priority level names: bounded by the configuration objects.
 * The ones every admitted request touches (dispatched, executing seats, wait duration, and the
 * queue gauge) are the fast forms (metrics/fast-metrics.ts, same text): prom-client hashes the
 * label set on each call even on a child, four times a request.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { FastCounter, FastGauge, FastHistogram } from '../../metrics/fast-metrics.ts';

export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out' | 'cancelled';

export class FlowControlMetrics {
  readonly inQueue: FastGauge;
  readonly executingSeats: FastGauge;
  readonly rejected: Counter<'priority_level' | 'flow_schema' | 'reason'>;
  readonly dispatched: FastCounter;
  readonly waitDuration: FastHistogram;
  readonly nominalLimit: Gauge<'priority_level'>;
  readonly currentLimit: Gauge<'priority_level'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.inQueue = new FastGauge({ name: 'apiserver_flowcontrol_current_inqueue_requests', help: 'Number of requests currently pending in queues of the API Priority and Fairness subsystem', labelNames: ['priority_level', 'flow_schema'], registers });
    this.executingSeats = new FastGauge({
      name: 'apiserver_flowcontrol_current_executing_seats',
      help: 'Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any stage otherwise) requests in the API Priority and Fairness subsystem',
      labelNames: ['priority_level', 'flow_schema'],
      registers,
    });
    this.rejected = new Counter({ name: 'apiserver_flowcontrol_rejected_requests_total', help: 'Number of requests rejected by API Priority and Fairness subsystem', labelNames: ['priority_level', 'flow_schema', 'reason'], registers });
    this.dispatched = new FastCounter({ name: 'apiserver_flowcontrol_dispatched_requests_total', help: 'Number of requests executed by API Priority and Fairness subsystem', labelNames: ['priority_level', 'flow_schema'], registers });
    this.waitDuration = new FastHistogram({
      name: 'apiserver_flowcontrol_request_wait_duration_seconds',
      help: 'Length of time a request spent waiting in its queue',
      // In the order the series were written before (prom-client kept the children's object order).
      labelNames: ['priority_level', 'flow_schema', 'execute'],
      buckets: [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30],
      registers,
    });
    this.currentLimit = new Gauge({ name: 'apiserver_flowcontrol_current_limit_seats', help: 'current derived number of execution seats available to each priority level', labelNames: ['priority_level'], registers });
    this.nominalLimit = new Gauge({ name: 'apiserver_flowcontrol_nominal_limit_seats', help: 'Nominal number of execution seats configured for each priority level', labelNames: ['priority_level'], registers });
  }

  /** Drop the series of a FlowSchema × level pair the configuration no longer has. */
  forget(level: string, schema: string): void {
    const l = { priority_level: level, flow_schema: schema };
    for (const g of [this.inQueue, this.executingSeats, this.dispatched]) g.remove(l);
    for (const reason of ['queue-full', 'concurrency-limit', 'time-out', 'cancelled']) this.rejected.remove({ ...l, reason });
    for (const execute of ['true', 'false']) this.waitDuration.remove({ ...l, execute });
  }

  /** The children one FlowSchema × level pair uses, looked up once per configuration. */
  children(level: string, schema: string) {
    const l = { priority_level: level, flow_schema: schema };
    return {
      inQueue: this.inQueue.labels(l),
      executing: this.executingSeats.labels(l),
      dispatched: this.dispatched.labels(l),
      waitRun: this.waitDuration.labels({ ...l, execute: 'true' }),
      waitReject: this.waitDuration.labels({ ...l, execute: 'false' }),
      rejected: (reason: RejectReason) => this.rejected.labels({ ...l, reason }).inc(),
    };
  }
}

export type FlowMetricChildren = ReturnType<FlowControlMetrics['children']>;
