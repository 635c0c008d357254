// Prometheus scrape endpoints: GET /metrics and GET /api/v5/prometheus/stats (EMQX's path), the text
// exposition of the broker's metrics registry with process metrics (src/metrics/prometheus.ts).
// Public unless management.metrics_auth, which asks for credentials as any read does (Prometheus
// sends an API key with `basic_auth`).

import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { PrometheusExporter } from '../../metrics/prometheus.js';
import type { ApiApp } from '../app.js';
import { runningBroker, type ApiContext } from '../context.js';
import { refusals, StringEnum } from '../schemas.js';

/** Text exposition format 0.0.4, what Prometheus asks for by default (prom-client's Registry.PROMETHEUS_CONTENT_TYPE). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function prometheusRoutes(app: ApiApp, context: ApiContext): void {
  let exporter: PrometheusExporter | undefined;
  const open = !context.management.metricsAuth;
  const schema = {
    tags: ['Metrics'],
    description: 'Prometheus text exposition (format 0.0.4): Starling\'s metrics (`starling_*`) and the process\'s (`process_*`, `nodejs_*`).',
    ...(open ? { security: [] } : {}),
    response: { 200: Type.String(), ...refusals(503) },
  };
  const scrape = async (reply: FastifyReply): Promise<string> => {
    const broker = runningBroker(context);
    // prom-client is loaded at the first scrape, not by every `starling ctl` and unscraped broker.
    if (exporter === undefined) {
      const { PrometheusExporter } = await import('../../metrics/prometheus.js');
      exporter ??= new PrometheusExporter(broker.metrics);
    }
    const text = await exporter.scrape();
    void reply.type(PROMETHEUS_CONTENT_TYPE);
    return text;
  };
  const config = { access: open ? ('public' as const) : ('read' as const) };
  app.get('/metrics', { config, schema: { ...schema, summary: 'Metrics for Prometheus' } }, (_request, reply) => scrape(reply));
  app.get(
    '/api/v5/prometheus/stats',
    {
      config,
      schema: {
        ...schema,
        summary: 'Metrics for Prometheus (EMQX\'s path)',
        // EMQX's modes differ in a cluster only; a standalone node answers its own metrics for each.
        querystring: Type.Object({ mode: Type.Optional(StringEnum(['node', 'all_nodes_aggregated', 'all_nodes_unaggregated'])) }, { additionalProperties: false }),
      },
    },
    (_request, reply) => scrape(reply),
  );
}
