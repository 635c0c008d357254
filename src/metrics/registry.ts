// One registry of named metrics (counters, gauges and histograms, with help text and labels) that
// $SYS, the Prometheus endpoint and the API read. The hot path never calls into it: counters live as plain
// number fields on objects the code already holds (Counters, a listener's traffic, the abuse stats),
// and a metric is registered with a collector that reads those fields when someone asks.

import type { Histogram, HistogramSnapshot } from './histogram.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export type Labels = Readonly<Record<string, string>>;

export interface MetricDefinition {
  /** Dotted lower-case name, e.g. `packets.received` (exporters map it to their own syntax). */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** The label names every sample carries, in order (e.g. `['listener']`). */
  readonly labelNames?: readonly string[];
}

export interface MetricSample {
  readonly labels: Labels;
  /** A histogram's sample holds its number of observations here, and the buckets in `histogram`. */
  readonly value: number;
  readonly histogram?: HistogramSnapshot;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  readonly samples: readonly MetricSample[];
}

/** Called once per collection; reports each sample through `sample` (labels as the definition names them). */
export type Collector = (sample: (value: number, labels?: Labels) => void) => void;

const NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
const LABEL = /^[a-z_][a-z0-9_]*$/;

interface Registered {
  readonly definition: Required<MetricDefinition>;
  readonly read: (definition: Required<MetricDefinition>) => MetricSample[];
}

/** Read access, as the public Broker and the exporters see it. */
export interface MetricsReader {
  /** Every metric with its current samples, in registration order. */
  collect(): MetricFamily[];
  /** One metric's current samples, or undefined when no metric has that name. */
  family(name: string): MetricFamily | undefined;
  /** The sum of a metric's samples whose labels include `labels` (0 when none match; throws on an unknown name); a histogram's is its number of observations. */
  value(name: string, labels?: Labels): number;
}

export class MetricsRegistry implements MetricsReader {
  private readonly metrics = new Map<string, Registered>();

  /** Registers a counter or gauge read from state elsewhere. Throws on a bad or duplicate name. */
  register(definition: MetricDefinition, collect: Collector): void {
    if (definition.type === 'histogram') throw new Error(`metric ${definition.name}: register histograms with registerHistogram()`);
    this.add(definition, (complete) => {
      const samples: MetricSample[] = [];
      collect((value, labels = {}) => samples.push({ labels: pick(labels, complete.labelNames, complete.name), value }));
      return samples;
    });
  }

  /** Registers an unlabelled histogram; `read` gives it at collection time (undefined reads as no observations). */
  registerHistogram(definition: Omit<MetricDefinition, 'type' | 'labelNames'> & { bounds: readonly number[] }, read: () => Histogram | undefined): void {
    const { bounds, ...rest } = definition;
    const empty: HistogramSnapshot = { bounds, cumulative: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
    this.add({ ...rest, type: 'histogram' }, () => {
      const histogram = read()?.snapshot() ?? empty;
      return [{ labels: {}, value: histogram.count, histogram }];
    });
  }

  private add(definition: MetricDefinition, read: Registered['read']): void {
    if (!NAME.test(definition.name)) throw new Error(`metric name ${JSON.stringify(definition.name)} is not lower-case dotted words`);
    if (this.metrics.has(definition.name)) throw new Error(`metric ${definition.name} is registered twice`);
    const labelNames = definition.labelNames ?? [];
    for (const label of labelNames) {
      if (!LABEL.test(label)) throw new Error(`metric ${definition.name}: label name ${JSON.stringify(label)} is not a lower-case identifier`);
    }
    this.metrics.set(definition.name, { definition: { ...definition, labelNames }, read });
  }

  /** Registers a metric of one unlabelled sample, read from state elsewhere. */
  registerReading(definition: Omit<MetricDefinition, 'labelNames'>, read: () => number): void {
    this.register(definition, (sample) => sample(read()));
  }

  collect(): MetricFamily[] {
    return [...this.metrics.values()].map((registered) => read(registered));
  }

  family(name: string): MetricFamily | undefined {
    const registered = this.metrics.get(name);
    return registered === undefined ? undefined : read(registered);
  }

  value(name: string, labels: Labels = {}): number {
    const family = this.family(name);
    if (family === undefined) throw new Error(`no metric named ${name}`);
    let total = 0;
    for (const sample of family.samples) {
      if (Object.entries(labels).every(([label, value]) => sample.labels[label] === value)) total += sample.value;
    }
    return total;
  }
}

function read({ definition, read: samples }: Registered): MetricFamily {
  return { ...definition, samples: samples(definition) };
}

/** The labels in definition order; a missing or extra label is a programming error. */
function pick(labels: Labels, labelNames: readonly string[], metric: string): Labels {
  const picked: Record<string, string> = {};
  for (const name of labelNames) {
    const value = labels[name];
    if (value === undefined) throw new Error(`metric ${metric}: sample lacks label ${name}`);
    picked[name] = value;
  }
  if (Object.keys(labels).length !== labelNames.length) throw new Error(`metric ${metric}: sample has labels beyond ${labelNames.join(', ') || 'none'}`);
  return picked;
}
