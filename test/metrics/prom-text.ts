/**
 * Prometheus text read with a real parser (parse-prometheus-text-format), and lookups by series
 * name and labels for the tests.
 *
 * That parser folds a histogram's series into one bucket map and drops their labels when the
 * histogram has labels of its own, so the text is parsed twice: once as it is (which checks every
 * line and gives each family's type and help), and once with histogram and summary families
 * declared untyped, which gives every series (`x_bucket`, `x_sum`, `x_count`) with its labels.
 */
import parse from 'parse-prometheus-text-format';

export interface Sample {
  labels?: Record<string, string>;
  value?: string;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

export interface Scrape {
  /** Families as exposed (histograms with their type). */
  families: Map<string, Family>;
  /** Every series by its own name. */
  series: Map<string, Sample[]>;
}

export function parseMetrics(text: string): Scrape {
  const families = parse(text) as Family[];
  const flat = parse(text.replace(/^# TYPE (\S+) (histogram|summary)$/gm, '# TYPE $1 untyped')) as Family[];
  // Untyped, a histogram's series alternate (_bucket, _sum, _count per label set): each run is a
  // family of its own, so runs of one name are joined.
  const series = new Map<string, Sample[]>();
  for (const f of flat) series.set(f.name, [...(series.get(f.name) ?? []), ...f.metrics]);
  return { families: new Map(families.map((f) => [f.name, f])), series };
}

/** Samples of series `name` whose labels include every one of `labels`. */
export function samples(m: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return (m.series.get(name) ?? []).filter((s) => Object.entries(labels).every(([k, v]) => (s.labels ?? {})[k] === v));
}

/** The sum of the values of the matching samples. */
export function total(m: Scrape, name: string, labels: Record<string, string> = {}): number {
  return samples(m, name, labels).reduce((n, s) => n + Number(s.value ?? 0), 0);
}
