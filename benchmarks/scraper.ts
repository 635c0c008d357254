// What Prometheus does to a broker, for the scrape-overhead row: GET /metrics every interval, the whole
// body read, one request at a time (a scrape still running when the next is due is skipped, as Prometheus does).

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

export function startScraper(url: string, intervalMs: number): Scraper {
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
  return {
    async stop() {
      clearInterval(timer);
      await running;
      return count;
    },
  };
}
