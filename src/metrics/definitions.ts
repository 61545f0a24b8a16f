/**
 * The API server's metrics, named, labelled and bucketed as kube-apiserver's (see
 * k8s.io/apiserver/pkg/endpoints/metrics, admission/metrics, endpoints/filters/metrics.go,
 * authorization/metrics, storage/etcd3/metrics and test/instrumentation/testdata/
 * stable-metrics-list.yaml). One set per API server: several servers run in one test process,
 * so nothing here is registered in prom-client's global registry.
 */
import { Gauge, Registry, exponentialBuckets } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.ts';

/** apiserver_request_duration_seconds and etcd_request_duration_seconds (upstream's SLO buckets). */
export const REQUEST_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const ADMISSION_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 2.5];
const WEBHOOK_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 25];

export const REQUEST_LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'] as const;
const LATENCY_LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
const SIZE_LABELS = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
const ADMISSION_LABELS = ['name', 'operation', 'rejected', 'type'] as const;

export function defineMetrics(register: Registry) {
  const r = [register];
  return {
    requests: new FastCounter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: REQUEST_LABELS,
      registers: r,
    }),
    requestDuration: new FastHistogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: LATENCY_LABELS,
      buckets: REQUEST_BUCKETS,
      registers: r,
    }),
    responseSizes: new FastHistogram({
      name: 'apiserver_response_sizes',
      help: 'Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.',
      labelNames: SIZE_LABELS,
      buckets: exponentialBuckets(1000, 10, 7),
      registers: r,
    }),
    longRunning: new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
      labelNames: SIZE_LABELS,
      registers: r,
    }),
    admissionStep: new FastHistogram({
      name: 'apiserver_admission_step_admission_duration_seconds',
      help: 'Admission sub-step latency histogram in seconds, broken out for each operation and API resource and step type (validate or admit).',
      labelNames: ['operation', 'rejected', 'type'],
      buckets: ADMISSION_BUCKETS,
      registers: r,
    }),
    admissionController: new FastHistogram({
      name: 'apiserver_admission_controller_admission_duration_seconds',
      help: 'Admission controller latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).',
      labelNames: ADMISSION_LABELS,
      buckets: ADMISSION_BUCKETS,
      registers: r,
    }),
    admissionWebhook: new FastHistogram({
      name: 'apiserver_admission_webhook_admission_duration_seconds',
      help: 'Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).',
      labelNames: ADMISSION_LABELS,
      buckets: WEBHOOK_BUCKETS,
      registers: r,
    }),
    authnUsers: new FastCounter({
      name: 'authenticated_user_requests',
      help: 'Counter of authenticated requests broken out by username.',
      labelNames: ['username'],
      registers: r,
    }),
    authnAttempts: new FastCounter({
      name: 'authentication_attempts',
      help: 'Counter of authenticated attempts.',
      labelNames: ['result'],
      registers: r,
    }),
    authnDuration: new FastHistogram({
      name: 'authentication_duration_seconds',
      help: 'Authentication duration in seconds broken out by result.',
      labelNames: ['result'],
      buckets: exponentialBuckets(0.001, 2, 15),
      registers: r,
    }),
    authzAttempts: new FastCounter({
      name: 'authorization_attempts_total',
      help: "Counter of authorization attempts broken down by result. It can be either 'allowed', 'denied', 'no-opinion' or 'error'.",
      labelNames: ['result'],
      registers: r,
    }),
    authzDuration: new FastHistogram({
      name: 'authorization_duration_seconds',
      help: 'Authorization duration in seconds broken out by result.',
      labelNames: ['result'],
      buckets: exponentialBuckets(0.001, 2, 15),
      registers: r,
    }),
    authzDecisions: new FastCounter({
      name: 'apiserver_authorization_decisions_total',
      help: 'Total number of terminal decisions made by an authorizer split by authorizer type, name, and decision.',
      labelNames: ['type', 'name', 'decision'],
      registers: r,
    }),
    storeDuration: new FastHistogram({
      name: 'etcd_request_duration_seconds',
      help: 'Etcd request latency in seconds for each operation and object type.',
      labelNames: ['operation', 'type'],
      buckets: REQUEST_BUCKETS,
      registers: r,
    }),
    watchEvents: new FastCounter({
      name: 'apiserver_watch_events_total',
      help: 'Number of events sent in watch clients',
      labelNames: ['group', 'version', 'resource'],
      registers: r,
    }),
    watchEventSizes: new FastHistogram({
      name: 'apiserver_watch_events_sizes',
      help: 'Watch event size distribution in bytes',
      labelNames: ['group', 'version', 'resource'],
      buckets: exponentialBuckets(1024, 2, 8),
      registers: r,
    }),
    denialEvents: new FastCounter({
      name: 'portcullis_denial_events_total',
      help: 'Core/v1 Events about denied writes, by what happened to them: recorded (created), aggregated (count raised), dropped (rate limit or full queue) or failed (store error).',
      labelNames: ['result'],
      registers: r,
    }),
  };
}

export type ApiserverMetricSet = ReturnType<typeof defineMetrics>;
