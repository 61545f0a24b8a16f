/**
 * Histograms, counters and gauges for the request path, exposed through a prom-client Registry like any
 * metric.
 *
 * prom-client's Histogram and Counter validate and hash the label set on every observation
 * (about 2 µs for a histogram with eight labels); a write request observes a dozen of them
 * (request, authentication, authorization, each admission plugin). Here a label set is resolved
 * once to a child that holds plain numbers, and an observation is a bucket search and a few
 * additions. The text is written by prom-client's registry from get(), in the shape its own
 * metrics return.
 */
import type { Registry } from 'prom-client';

export class HistogramChild {
  readonly labels: Record<string, string>;
  readonly #bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: Record<string, string>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    const b = this.#bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}

export interface FastMetricConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: Registry[];
}

interface ValuePair {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

/** The labels of a child from positional values or an object with every label by name. */
function labelValues(metric: string, names: readonly string[], values: Array<string | object>): string[] {
  const first = values[0];
  const byName = typeof first === 'object' ? (first as Record<string, unknown>) : undefined;
  return names.map((n, i) => {
    const v = byName ? byName[n] : values[i];
    if (typeof v !== 'string') throw new Error(`metric ${metric}: label "${n}" is missing`);
    return v;
  });
}

export class CounterChild {
  readonly labels: Record<string, string>;
  value = 0;
  constructor(labels: Record<string, string>) {
    this.labels = labels;
  }
  inc(n = 1): void {
    this.value += n;
  }
}

interface Exposed {
  name: string;
  help: string;
  type: string;
  values: ValuePair[];
  aggregator: string;
}

/** What counters and histograms share: children by label set, registration, reset. */
abstract class LabelledMetric<C extends { labels: Record<string, string> }> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  protected readonly children = new Map<string, C>();

  constructor(c: FastMetricConfig) {
    this.name = c.name;
    this.help = c.help;
    this.labelNames = c.labelNames;
    for (const r of c.registers) r.registerMetric(this as never);
  }

  protected abstract make(labels: Record<string, string>): C;

  /** The child of a label set, by position or by name (every label must be given). */
  labels(...values: Array<string | object>): C {
    const vals = labelValues(this.name, this.labelNames, values);
    const key = vals.join('\0');
    let child = this.children.get(key);
    if (!child) {
      child = this.make(Object.fromEntries(this.labelNames.map((n, i) => [n, vals[i]!])));
      this.children.set(key, child);
    }
    return child;
  }

  /** Drops the child of a label set given by name (prom-client's remove). */
  remove(labels: Record<string, string>): void {
    this.children.delete(labelValues(this.name, this.labelNames, [labels]).join('\0'));
  }

  reset(): void {
    this.children.clear();
  }
}

/** What a counter or gauge gives the registry: one value per child. */
function exposeValues(m: { name: string; help: string; aggregator: string }, type: string, children: Iterable<{ labels: Record<string, string>; value: number }>): Exposed {
  const values: ValuePair[] = [];
  for (const c of children) values.push({ labels: c.labels, value: c.value, metricName: m.name });
  return { name: m.name, help: m.help, type, values, aggregator: m.aggregator };
}

export class FastCounter extends LabelledMetric<CounterChild> {
  readonly type = 'counter';

  protected make(labels: Record<string, string>): CounterChild {
    return new CounterChild(labels);
  }

  async get(): Promise<Exposed> {
    return exposeValues(this, this.type, this.children.values());
  }
}

export class GaugeChild extends CounterChild {
  dec(n = 1): void {
    this.value -= n;
  }
  set(v: number): void {
    this.value = v;
  }
}

/** A gauge set by the code that knows its value (no collect callback). */
export class FastGauge extends LabelledMetric<GaugeChild> {
  readonly type = 'gauge';

  protected make(labels: Record<string, string>): GaugeChild {
    return new GaugeChild(labels);
  }

  async get(): Promise<Exposed> {
    return exposeValues(this, this.type, this.children.values());
  }
}

export class FastHistogram extends LabelledMetric<HistogramChild> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(c: FastMetricConfig & { buckets: readonly number[] }) {
    super(c);
    this.#bounds = [...c.buckets].sort((a, b) => a - b);
  }

  protected make(labels: Record<string, string>): HistogramChild {
    return new HistogramChild(labels, this.#bounds);
  }

  async get(): Promise<Exposed> {
    const values: ValuePair[] = [];
    const bucket = `${this.name}_bucket`;
    for (const child of this.children.values()) {
      // As prom-client writes its histograms: `le` first, then the child's labels.
      const shared = child.labels;
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += child.counts[i]!;
        values.push({ labels: { le: this.#bounds[i]! }, sharedLabels: shared, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: child.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: shared, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: shared, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
