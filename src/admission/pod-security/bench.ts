/**
 * Micro-benchmark of evaluatePod at restricted:latest for a typical pod (target: p99 <= 20 µs).
 * Not a test: it reports, never asserts. Run it with
 *   node --import tsx src/admission/pod-security/bench.ts
 * or call printPodSecurityBench() (one JSON document on stdout).
 */
import { denialMessage, evaluatePod } from './evaluate.ts';
import type { PodMetaLike, PodSpecLike } from './types.ts';

const probe = { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 };
const hardened = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
};

/** A Deployment-made pod after defaulting: one init container, an app and a sidecar, common volumes. */
function typicalPod(compliant: boolean): { meta: PodMetaLike; spec: PodSpecLike } {
  const sc = compliant ? hardened : undefined;
  const container = (name: string, port: number) => ({
    name,
    image: `registry.example.com/team/${name}:1.4.2`,
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    livenessProbe: probe,
    readinessProbe: probe,
    volumeMounts: [{ name: 'config', mountPath: '/etc/app' }, { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
    securityContext: sc,
  });
  // Built as plain JSON, as decoded from a request; volume sources are not declared on VolumeLike.
  const spec: object = {
    securityContext: compliant ? { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } } : {},
    initContainers: [{ name: 'migrate', image: 'registry.example.com/team/migrate:1.4.2', securityContext: sc }],
    containers: [container('web', 8080), container('metrics-sidecar', 9090)],
    volumes: [
      { name: 'config', configMap: { name: 'web-config' } },
      { name: 'tls', secret: { secretName: 'web-tls' } },
      { name: 'cache', emptyDir: {} },
      { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  };
  return {
    meta: {
      name: 'web-7d9c8b6f5-x2x9z',
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z', 'prometheus.io/scrape': 'true' },
    },
    spec: spec as PodSpecLike,
  };
}

export interface PodSecurityBenchResult {
  scenario: string;
  iterations: number;
  meanNs: number;
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function measure(scenario: string, iterations: number, fn: () => unknown): PodSecurityBenchResult {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(); // warm up the JIT
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - start);
  }
  samples.sort();
  let sum = 0;
  for (const s of samples) sum += s;
  return {
    scenario,
    iterations,
    meanNs: Math.round(sum / iterations),
    p50Ns: percentile(samples, 0.5),
    p99Ns: percentile(samples, 0.99),
    maxNs: samples[iterations - 1]!,
  };
}

/** Times evaluatePod (and, for the denied pod, the message too). Includes ~50 ns of timer overhead per sample. */
export function benchPodSecurity(iterations = 200_000): PodSecurityBenchResult[] {
  const ok = typicalPod(true);
  const bad = typicalPod(false);
  if (!evaluatePod('restricted', 'latest', ok.meta, ok.spec).allowed) throw new Error('bench pod should be allowed');
  return [
    measure('restricted:latest, compliant pod (allowed)', iterations, () => evaluatePod('restricted', 'latest', ok.meta, ok.spec)),
    measure('restricted:latest, default pod (denied, message built)', iterations, () => {
      const r = evaluatePod('restricted', 'latest', bad.meta, bad.spec);
      return denialMessage('restricted', 'latest', r.results);
    }),
    measure('baseline:v1.30, default pod (allowed)', iterations, () => evaluatePod('baseline', 'v1.30', bad.meta, bad.spec)),
  ];
}

export function printPodSecurityBench(iterations?: number): void {
  const results = benchPodSecurity(iterations);
  process.stdout.write(JSON.stringify({ benchmark: 'pod-security evaluatePod', targetP99Ns: 20_000, node: process.version, results }, null, 2) + '\n');
}

if (import.meta.main) printPodSecurityBench();
