// What one Prometheus scrape costs the broker (micro benchmark, not a test): event-loop time and CPU
// per scrape of the exporter in-process, and per GET /metrics over the management listener (client
// included, same process), with no client and with idle MQTT connections held (the cost must not grow
// with them: nothing the exporter reads lists the sockets).
// Run: npm run build && node dist/benchmarks/scrape.js [connections]

import net from 'node:net';
import { PrometheusExporter, StarlingBroker, createLogger } from '../src/internal.js';

const SCRAPES = 500;
const connections = Number(process.argv[2] ?? 2000);

interface Cost {
  /** Microseconds per call the event loop was busy, beyond what it was busy idling for as long. */
  eventLoop: number;
  /** Microseconds of CPU per call, every thread, the same idle share subtracted. */
  cpu: number;
}

async function costPerCall(call: () => Promise<unknown>): Promise<Cost> {
  for (let index = 0; index < 50; index++) await call();
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < SCRAPES; index++) await call();
  const wall = performance.now() - started;
  const loop = performance.eventLoopUtilization(loopBefore);
  const cpu = process.cpuUsage(cpuBefore);
  // The broker's own timers (keep-alive supervision) run meanwhile: measure them alone for as long.
  const idleLoopBefore = performance.eventLoopUtilization();
  const idleCpuBefore = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, wall));
  const idleLoop = performance.eventLoopUtilization(idleLoopBefore);
  const idleCpu = process.cpuUsage(idleCpuBefore);
  return {
    eventLoop: ((loop.active - idleLoop.active) * 1000) / SCRAPES,
    cpu: (cpu.user + cpu.system - idleCpu.user - idleCpu.system) / SCRAPES,
  };
}

/** Opens `count` MQTT 3.1.1 connections (CONNECT written by hand, CONNACK awaited). */
async function connectIdle(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let index = 0; index < count; index++) {
    const clientId = Buffer.from(`idle-${index}`);
    const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 0, 0, clientId.length]), clientId]);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('data', () => resolve());
      socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    });
    sockets.push(socket);
  }
  return sockets;
}

async function main(): Promise<void> {
  const broker = new StarlingBroker({
    durability: 'memory',
    sysInterval: 0,
    logger: createLogger({ logLevel: 'silent', logPretty: false }),
    management: { listeners: [{ host: '127.0.0.1', port: 0 }], allowInsecureHttp: false, bootstrapAdmin: false, tokenTtl: 3600, metricsAuth: false },
  });
  const [address] = await broker.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${broker.managementAddresses[0]!.port}/metrics`;
  const exporter = new PrometheusExporter(broker.metrics);
  const report = async (label: string): Promise<void> => {
    const inProcess = await costPerCall(() => exporter.scrape());
    const overHttp = await costPerCall(async () => (await fetch(url)).text());
    const bytes = (await exporter.scrape()).length;
    const figures = (cost: Cost): string => `event loop ${cost.eventLoop.toFixed(0).padStart(5)} µs, CPU ${cost.cpu.toFixed(0).padStart(5)} µs`;
    console.log(`${label.padEnd(22)} per scrape: exporter ${figures(inProcess)};  GET /metrics (client included) ${figures(overHttp)};  ${bytes} bytes`);
  };
  await report('no connection');
  const sockets = await connectIdle(address!.port, connections);
  await report(`${connections} idle connections`);
  for (const socket of sockets) socket.destroy();
  await broker.close();
}

await main();
