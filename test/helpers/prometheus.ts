// A real Prometheus server (Debian's /usr/bin/prometheus) for one test: started on a free loopback
// port with a temp data directory and the given scrape jobs, queried over its HTTP API, stopped by pid.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildRun } from './interop.js';
import { freePort } from './free-port.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';
const READY_TIMEOUT_MS = 15_000;

export interface ScrapeJob {
  job: string;
  /** host:port */
  target: string;
  metricsPath?: string;
  basicAuth?: { username: string; password: string };
}

export interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  url: string;
  /** An instant query (/api/v1/query); throws on an error answer. */
  query(expr: string): Promise<QueryResult[]>;
  /** Repeats a query until `accept` takes its result (bounded), and returns that result. */
  queryUntil(expr: string, accept: (result: QueryResult[]) => boolean, what: string, timeoutMs?: number): Promise<QueryResult[]>;
  stop(): Promise<void>;
}


function scrapeConfig(jobs: readonly ScrapeJob[], intervalSeconds: number): string {
  // JSON is YAML: no YAML writer needed.
  return JSON.stringify({
    global: { scrape_interval: `${intervalSeconds}s`, scrape_timeout: `${intervalSeconds}s`, evaluation_interval: `${intervalSeconds}s` },
    scrape_configs: jobs.map((job) => ({
      job_name: job.job,
      metrics_path: job.metricsPath ?? '/metrics',
      static_configs: [{ targets: [job.target] }],
      ...(job.basicAuth === undefined ? {} : { basic_auth: job.basicAuth }),
    })),
  });
}

export async function startPrometheus(jobs: readonly ScrapeJob[], intervalSeconds = 1): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'starling-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, scrapeConfig(jobs, intervalSeconds));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const run = new ChildRun(
    spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    PROMETHEUS,
  );
  const stop = async (): Promise<void> => {
    run.kill('SIGTERM');
    const killer = setTimeout(() => run.kill('SIGKILL'), 5000);
    await run.exited;
    clearTimeout(killer);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!run.running) throw new Error(`prometheus exited before it was ready: ${run.stderr}`);
      const ready = await fetch(`${url}/-/ready`).then((response) => response.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready after ${READY_TIMEOUT_MS} ms: ${run.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const query = async (expr: string): Promise<QueryResult[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: QueryResult[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? response.status}`);
    if (body.data?.resultType !== 'vector') throw new Error(`query ${expr}: a ${body.data?.resultType}, not a vector`);
    return body.data.result;
  };
  return {
    url,
    query,
    async queryUntil(expr, accept, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = await query(expr);
        if (accept(result)) return result;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${expr} gave ${JSON.stringify(result)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    stop,
  };
}
