// Prometheus exposition of the metrics registry: at each scrape every registry metric is read once
// and handed to prom-client under its Prometheus name (below), after prom-client's default process
// metrics. Nothing is counted twice and nothing runs between scrapes (but prom-client's GC observer
// and event-loop histogram, which are per process).

import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { MetricFamily, MetricsReader, MetricType } from './registry.js';

/**
 * Registry names whose Prometheus name is not the rule's (`starling_` + dots as underscores, `_total`
 * on counters): EMQX's name where EMQX has the same measure, or a base unit (seconds, not ms).
 */
const RENAMED: Readonly<Record<string, { readonly name: string; readonly scale?: number }>> = {
  'clients.connected': { name: 'starling_live_connections_count' },
  'clients.maximum': { name: 'starling_live_connections_max' },
  'eventloop.delay.p50': { name: 'starling_eventloop_delay_p50_seconds', scale: 1e-3 },
  'eventloop.delay.p99': { name: 'starling_eventloop_delay_p99_seconds', scale: 1e-3 },
  'eventloop.delay.max': { name: 'starling_eventloop_delay_max_seconds', scale: 1e-3 },
};

/** The Prometheus name of a registry metric (a histogram's series add `_bucket`, `_sum` and `_count`). */
export function prometheusName(family: Pick<MetricFamily, 'name' | 'type'>): string {
  const renamed = RENAMED[family.name];
  if (renamed !== undefined) return renamed.name;
  const name = `starling_${family.name.replaceAll('.', '_')}`;
  return family.type === 'counter' ? `${name}_total` : name;
}

interface PrometheusValue {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

/** One registry metric in the shape prom-client's Registry renders: it reads the family the scrape collected. */
class FamilyMetric {
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  private readonly scale: number;
  family: MetricFamily;

  constructor(family: MetricFamily) {
    this.family = family;
    this.name = prometheusName(family);
    this.help = family.help;
    this.type = family.type;
    this.scale = RENAMED[family.name]?.scale ?? 1;
  }

  async get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: PrometheusValue[] }> {
    const values: PrometheusValue[] = [];
    for (const sample of this.family.samples) {
      const labels = { ...sample.labels };
      const histogram = sample.histogram;
      if (histogram === undefined) {
        values.push({ value: sample.value * this.scale, labels });
        continue;
      }
      histogram.bounds.forEach((bound, index) => values.push({ value: histogram.cumulative[index]!, labels: { ...labels, le: String(bound) }, metricName: `${this.name}_bucket` }));
      values.push({ value: histogram.count, labels: { ...labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: histogram.sum * this.scale, labels, metricName: `${this.name}_sum` });
      values.push({ value: histogram.count, labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

let processMetrics: Registry | undefined;

/** prom-client's default metrics (process CPU, memory, file descriptors, heap, GC, event-loop lag): one set per process. */
function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
    // Left out: these list every socket at each scrape, on the event loop. The nodejs_active_* gauges
    // (three of them also named like counters, which promtool flags), and process_open_fds, which
    // lists /proc/self/fd: about 0.7 ms per 1,000 descriptors (3 ms with 2,000 connections, measured
    // with node dist/benchmarks/scrape.js). starling_connections_count counts the sockets instead.
    for (const name of ['handles', 'requests', 'resources'].flatMap((kind) => [`nodejs_active_${kind}`, `nodejs_active_${kind}_total`])) processMetrics.removeSingleMetric(name);
    processMetrics.removeSingleMetric('process_open_fds');
  }
  return processMetrics;
}

export class PrometheusExporter {
  private readonly registry = new Registry();
  private readonly metrics = new Map<string, FamilyMetric>();

  constructor(private readonly reader: MetricsReader) {
    processRegistry(); // started now, so the first scrape has GC and event-loop figures
  }

  /** The exposition text: process metrics, then every registry metric as it is now. */
  async scrape(): Promise<string> {
    for (const family of this.reader.collect()) {
      const known = this.metrics.get(family.name);
      if (known !== undefined) {
        known.family = family;
        continue;
      }
      const metric = new FamilyMetric(family);
      this.metrics.set(family.name, metric);
      this.registry.registerMetric(metric as unknown as Metric);
    }
    const [process, broker] = await Promise.all([processRegistry().metrics(), this.registry.metrics()]);
    return process + broker;
  }
}
