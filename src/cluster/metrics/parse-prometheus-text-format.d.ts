// The module ships no types; src/cluster/metrics decodes the kubelet's /metrics/resource with it (tests parse /metrics).
declare module 'parse-prometheus-text-format' {
  /** Metric families of a Prometheus text exposition. */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
