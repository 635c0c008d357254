// What Prometheus does to a broker, for the scrape-overhead row: GET /metrics every interval, the whole
// body read, one request at a time (a scrape still running when the next is due is skipped, as Prometheus does).
//
// The scraper runs in a process of its own, as Prometheus would: run in the benchmark's process it shared
// the load generator's event loop, and the row measured the load generator slowed by it (0.71× against
// 1.00× with the same scrapes from another process, on the same machine and day).

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ScrapeCount {
  scrapes: number;
  failures: string[];
  /** Bytes of the last exposition read. */
  lastBytes: number;
}

export interface Scraper {
  /** Stops scraping and waits for the scrape in progress; the counts so far. */
  stop(): Promise<ScrapeCount>;
}

/** Starts the scraper process (on the CPUs this process may use). */
export function startScraper(url: string, intervalMs: number): Scraper {
  const child = fork(fileURLToPath(import.meta.url), [url, String(intervalMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const counted = new Promise<ScrapeCount>((resolve, reject) => {
    child.once('message', (message) => resolve(message as ScrapeCount));
    child.once('exit', (code, signal) => reject(new Error(`scraper exited (${code ?? signal}) without counts`)));
  });
  counted.catch(() => undefined);
  return {
    async stop() {
      child.send('stop');
      return counted;
    },
  };
}

function scrapeUntilStopped(url: string, intervalMs: number): void {
  const count: ScrapeCount = { scrapes: 0, failures: [], lastBytes: 0 };
  let running: Promise<void> | undefined;
  const scrape = async (): Promise<void> => {
    try {
      const response = await fetch(url);
      const text = await response.text();
      if (!response.ok) throw new Error(`${response.status}: ${text.slice(0, 200)}`);
      count.scrapes++;
      count.lastBytes = text.length;
    } catch (error) {
      count.failures.push((error as Error).message);
    }
  };
  const tick = (): void => {
    if (running !== undefined) return;
    running = scrape().finally(() => {
      running = undefined;
    });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  process.on('message', () => {
    clearInterval(timer);
    void Promise.resolve(running).then(() => process.send!(count, () => process.exit(0)));
  });
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  scrapeUntilStopped(process.argv[2]!, Number(process.argv[3]));
}
