import { startNatsCluster } from './dist/test/helpers/nats-cluster.js';
import { startClusterNodes } from './dist/test/helpers/cluster-nodes.js';
import mqtt from 'mqtt';
const nats = await startNatsCluster();
const nodes = await startClusterNodes(nats, 2);
try {
  const qos = Number(process.argv[2] ?? 1);
  const rate = Number(process.argv[3] ?? 1000);
  const sub = await mqtt.connectAsync(nodes[1].url, { clientId: 's', reconnectPeriod: 0 });
  await sub.subscribeAsync('lat/#', { qos });
  const pub = await mqtt.connectAsync(nodes[0].url, { clientId: 'p', reconnectPeriod: 0 });
  const lat = [];
  sub.on('message', (_t, payload) => lat.push(performance.now() - Number(payload.toString())));
  const end = performance.now() + 5000;
  while (performance.now() < end) {
    for (let i = 0; i < rate / 100; i++) pub.publish(`lat/${i % 10}`, String(performance.now()), { qos });
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 1000));
  lat.sort((a, b) => a - b);
  console.log('qos', qos, 'rate', rate, 'n', lat.length, 'p50', lat[Math.floor(lat.length / 2)].toFixed(2), 'p99', lat[Math.floor(lat.length * 0.99)].toFixed(2));
  await pub.endAsync(); await sub.endAsync();
} finally { await Promise.all(nodes.map((n) => n.stop())); await nats.stop(); }
