// `starling bench` options: the typed shape, the defaults, and parsing of command-line flags into them.

import type { ProtocolVersion, QoS } from './wire.js';

export const SCENARIOS = ['pub', 'sub', 'conn', 'pairs', 'fanin', 'fanout'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenario: Scenario;
  host: string;
  port: number;
  /** Subscribers connect here instead (another node of a cluster); undefined: the same port as publishers. */
  subscriberPort?: number | undefined;
  protocolVersion: ProtocolVersion;
  qos: QoS;
  /** pub/sub/conn/pairs: the number of clients; fanin: publishers; fanout: subscribers. */
  clients: number;
  /** Overrides: fanin defaults to 1 subscriber, fanout to 1 publisher. */
  publishers?: number | undefined;
  subscribers?: number | undefined;
  payloadSize: number;
  /** Total messages per second across all publishers; 0 = as fast as the in-flight window allows. */
  rate: number;
  /** Unacknowledged QoS 1/2 messages per publisher (capped by the broker's Receive Maximum). */
  inflight: number;
  /** Seconds measured, after the warm-up. */
  duration: number;
  warmup: number;
  /** Seconds to wait after publishing stops for acknowledgements and deliveries still in flight. */
  grace: number;
  /** Topic pattern; %i is the publisher (or pair) index. */
  topic: string;
  /** Subscription filter for `sub` and `fanin`; defaults to the topic pattern with %i replaced by '+'. */
  filter?: string | undefined;
  workers: number;
  /** Local addresses used round-robin, to get past ~28k ephemeral ports per address. */
  sourceAddresses: string[];
  noDelay: boolean;
  keepAlive: number;
  /** conn: seconds to keep the connections open and idle after they are all up. */
  hold: number;
  /** conn with --broker-pid: after connecting, sample the broker's RSS each second until it settles, at most this many seconds (0: off). */
  settleMax: number;
  /** conn: seconds to wait at least before the settled reading. */
  settleMin: number;
  /** conn: connection attempts in flight at once (per worker). */
  connectConcurrency: number;
  brokerPid?: number | undefined;
  /** More processes whose CPU counts with the broker's in messages per CPU-second (library use: a cluster's nodes and NATS servers). */
  alsoPids?: number[] | undefined;
  tls: boolean;
  /** MQTT over WebSocket (ws://, or wss:// with --tls) on `wsPath`. */
  ws: boolean;
  wsPath: string;
  /** With --tls: accept any server certificate (self-signed test brokers). */
  insecure: boolean;
  username?: string | undefined;
  password?: string | undefined;
  clientIdPrefix: string;
  json: boolean;
  quiet: boolean;
}

export function defaultOptions(scenario: Scenario): BenchOptions {
  return {
    scenario,
    host: '127.0.0.1',
    port: 1883,
    protocolVersion: 4,
    qos: 0,
    clients: scenario === 'conn' ? 1000 : 10,
    payloadSize: 32,
    rate: 0,
    inflight: 32,
    duration: 10,
    warmup: 2,
    grace: 5,
    topic: 'bench/%i',
    workers: 1,
    sourceAddresses: [],
    noDelay: true,
    keepAlive: 60,
    hold: 0,
    settleMax: 0,
    settleMin: 0,
    // Past a broker's listen backlog (Mosquitto's is 100) dropped SYNs come back only after a 1 s retransmit.
    connectConcurrency: 32,
    tls: false,
    ws: false,
    wsPath: '/mqtt',
    insecure: false,
    clientIdPrefix: `bench-${process.pid}`,
    json: false,
    quiet: false,
  };
}

export class BenchUsageError extends Error {}

export const USAGE = `Usage: starling bench <scenario> [options]

Scenarios:
  pub      N publishers on topic(i), no subscribers (publish rate)
  sub      N subscribers on --filter (run pub elsewhere); latency, loss by sequence gaps
  conn     open N connections as fast as possible, keep them idle --hold seconds
  pairs    N publisher/subscriber pairs, pair i on topic(i)
  fanin    N publishers -> 1 subscriber on a wildcard filter (--subscribers to change)
  fanout   1 publisher -> N subscribers on one topic (--publishers to change)

Options:
  -h, --host <address>        broker address (127.0.0.1)
  -p, --port <port>           broker port (1883)
      --sub-port <port>       subscribers connect to this port instead (another node of a cluster)
  -V, --protocol <3.1.1|5>    MQTT version (3.1.1)
  -q, --qos <0|1|2>           QoS of published messages and subscriptions (0)
  -c, --clients <n>           clients (10; conn: 1000)
      --publishers <n>        publishers (fanin/fanout override)
      --subscribers <n>       subscribers (fanin/fanout override)
  -s, --size <bytes>          payload size, at least 16 (32)
  -r, --rate <msg/s>          total publish rate; 0 = as fast as possible (0)
      --inflight <n>          unacknowledged QoS 1/2 messages per publisher (32)
  -d, --duration <s>          measured seconds (10)
      --warmup <s>            seconds before measuring (2)
      --grace <s>             seconds to wait for late deliveries after the end (5)
  -t, --topic <pattern>       topic, %i = publisher index (bench/%i)
      --filter <filter>       subscription filter for sub/fanin (topic with %i -> +)
  -w, --workers <n>           worker threads generating load (1)
      --source <a,b,...>      local source addresses, round-robin (e.g. 127.0.0.1,127.0.0.2);
                              conn to a 127.x broker defaults to 127.0.0.2-127.0.0.9
      --nodelay <true|false>  TCP_NODELAY on client sockets (true)
  -k, --keepalive <s>         keep-alive seconds (60)
      --hold <s>              conn: keep connections idle this long (0)
      --settle-max <s>        conn with --broker-pid: also read the broker's RSS once it has settled (no drop
                              over 1 % for 10 s), sampling each second for at most this long (0: off)
      --settle-min <s>        conn: wait at least this long before the settled reading (0)
      --concurrency <n>       conn: connections between socket open and CONNACK, per worker (32)
      --broker-pid <pid>      read the broker's RSS and CPU time from /proc
      --tls                   connect with TLS
      --insecure              with --tls: do not verify the server certificate
      --ws                    MQTT over WebSocket (wss:// with --tls)
      --ws-path <path>        with --ws: the WebSocket path (/mqtt)
  -u, --username <name>       CONNECT user name
  -P, --password <secret>     CONNECT password
      --client-id <prefix>    client id prefix (bench-<pid>)
      --json                  print the final summary as JSON on stdout
      --quiet                 no progress line
      --help                  this text
`;

function parseNumber(flag: string, text: string | undefined, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) throw new BenchUsageError(`${flag} needs a value`);
  const value = Number(text);
  if (!Number.isFinite(value) || value < minimum || value > maximum) {
    throw new BenchUsageError(`${flag} must be a number from ${minimum} to ${maximum}, got '${text}'`);
  }
  return value;
}

function parseInteger(flag: string, text: string | undefined, minimum: number, maximum?: number): number {
  const value = parseNumber(flag, text, minimum, maximum);
  if (!Number.isInteger(value)) throw new BenchUsageError(`${flag} must be a whole number, got '${text}'`);
  return value;
}

function parseBoolean(flag: string, text: string | undefined): boolean {
  if (text === 'true' || text === '1' || text === 'on') return true;
  if (text === 'false' || text === '0' || text === 'off') return false;
  throw new BenchUsageError(`${flag} must be true or false, got '${String(text)}'`);
}

function parseProtocol(text: string | undefined): ProtocolVersion {
  if (text === '3.1.1' || text === '4' || text === '3') return 4;
  if (text === '5' || text === '5.0') return 5;
  throw new BenchUsageError(`--protocol must be 3.1.1 or 5, got '${String(text)}'`);
}

export type ParsedArguments = { help: true } | { help: false; options: BenchOptions };

/** Parses everything after `starling bench`; throws BenchUsageError naming the bad flag. */
export function parseBenchArguments(argv: readonly string[]): ParsedArguments {
  if (argv.length === 0 || argv.includes('--help') || argv[0] === 'help') return { help: true };
  const scenario = argv[0] as Scenario;
  if (!SCENARIOS.includes(scenario)) {
    throw new BenchUsageError(`unknown scenario '${String(argv[0])}' (expected ${SCENARIOS.join(', ')})`);
  }
  const options = defaultOptions(scenario);
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    const equals = argument.startsWith('--') ? argument.indexOf('=') : -1;
    const flag = equals > 0 ? argument.slice(0, equals) : argument;
    const inlineValue = equals > 0 ? argument.slice(equals + 1) : undefined;
    const takeValue = (): string | undefined => inlineValue ?? argv[++index];
    switch (flag) {
      case '-h': case '--host': options.host = takeValue() ?? ''; break;
      case '-p': case '--port': options.port = parseInteger(flag, takeValue(), 1, 65_535); break;
      case '--sub-port': options.subscriberPort = parseInteger(flag, takeValue(), 1, 65_535); break;
      case '-V': case '--protocol': options.protocolVersion = parseProtocol(takeValue()); break;
      case '-q': case '--qos': options.qos = parseInteger(flag, takeValue(), 0, 2) as QoS; break;
      case '-c': case '--clients': options.clients = parseInteger(flag, takeValue(), 1); break;
      case '--publishers': options.publishers = parseInteger(flag, takeValue(), 0); break;
      case '--subscribers': options.subscribers = parseInteger(flag, takeValue(), 0); break;
      case '-s': case '--size': options.payloadSize = parseInteger(flag, takeValue(), 16, 268_435_000); break;
      case '-r': case '--rate': options.rate = parseNumber(flag, takeValue(), 0); break;
      case '--inflight': options.inflight = parseInteger(flag, takeValue(), 1, 65_535); break;
      case '-d': case '--duration': options.duration = parseNumber(flag, takeValue(), 0.1); break;
      case '--warmup': options.warmup = parseNumber(flag, takeValue(), 0); break;
      case '--grace': options.grace = parseNumber(flag, takeValue(), 0); break;
      case '-t': case '--topic': options.topic = takeValue() ?? ''; break;
      case '--filter': options.filter = takeValue(); break;
      case '-w': case '--workers': options.workers = parseInteger(flag, takeValue(), 1, 64); break;
      case '--source': options.sourceAddresses = (takeValue() ?? '').split(',').filter((address) => address !== ''); break;
      case '--nodelay': options.noDelay = parseBoolean(flag, takeValue()); break;
      case '-k': case '--keepalive': options.keepAlive = parseInteger(flag, takeValue(), 0, 65_535); break;
      case '--hold': options.hold = parseNumber(flag, takeValue(), 0); break;
      case '--settle-max': options.settleMax = parseNumber(flag, takeValue(), 0); break;
      case '--settle-min': options.settleMin = parseNumber(flag, takeValue(), 0); break;
      case '--concurrency': options.connectConcurrency = parseInteger(flag, takeValue(), 1); break;
      case '--broker-pid': options.brokerPid = parseInteger(flag, takeValue(), 1); break;
      case '--tls': options.tls = true; break;
      case '--insecure': options.insecure = true; break;
      case '--ws': options.ws = true; break;
      case '--ws-path': options.wsPath = takeValue() ?? options.wsPath; break;
      case '-u': case '--username': options.username = takeValue(); break;
      case '-P': case '--password': options.password = takeValue(); break;
      case '--client-id': options.clientIdPrefix = takeValue() ?? options.clientIdPrefix; break;
      case '--json': options.json = true; break;
      case '--quiet': options.quiet = true; break;
      default: throw new BenchUsageError(`unknown option '${argument}'`);
    }
  }
  if (options.host === '') throw new BenchUsageError('--host needs a value');
  if (options.topic === '') throw new BenchUsageError('--topic needs a value');
  return { help: false, options };
}
