// The soak's slow, state-changing load (MQTT.js clients, a few operations a second): persistent sessions that
// go offline and come back to queued QoS 1 messages, retained messages set and cleared on a bounded set of
// topics, and short-lived clean clients under fresh client ids, half of them dropping their socket so their
// will fires. Everything it touches is bounded, so a broker that cleans up after it keeps flat memory.

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface ChurnSettings {
  port: number;
  /** Persistent client ids taking turns to be online. */
  sessions: number;
  /** Retained topics, overwritten and cleared again and again. */
  retainedTopics: number;
  /** One churn step (a reconnect, a fresh clean client, a few publishes) every this many milliseconds. */
  stepMilliseconds: number;
}

export interface ChurnTotals {
  steps: number;
  reconnects: number;
  cleanClients: number;
  published: number;
  received: number;
  errors: number;
  firstError?: string | undefined;
}

const CONNECT_TIMEOUT_MILLISECONDS = 10_000;
const SESSION_EXPIRY_SECONDS = 300;

export class ChurnLoad {
  readonly totals: ChurnTotals = { steps: 0, reconnects: 0, cleanClients: 0, published: 0, received: 0, errors: 0 };
  private readonly online = new Map<number, MqttClient>();
  private publisher: MqttClient | undefined;
  private nextSession = 0;
  private nextCleanClient = 0;

  constructor(private readonly settings: ChurnSettings) {}

  /** Steps until `durationMilliseconds` have passed, then disconnects everything it opened. */
  async run(durationMilliseconds: number): Promise<void> {
    this.publisher = await this.connect({ clientId: 'soak-churn-publisher', clean: true });
    const deadline = Date.now() + durationMilliseconds;
    try {
      while (Date.now() < deadline) {
        const startedAt = Date.now();
        await this.step().catch((error: unknown) => this.recordError(error));
        await delay(Math.max(0, this.settings.stepMilliseconds - (Date.now() - startedAt)));
      }
    } finally {
      await Promise.allSettled([...this.online.values(), this.publisher].map((client) => client.endAsync()));
      this.online.clear();
    }
  }

  private async step(): Promise<void> {
    this.totals.steps++;
    const session = this.nextSession;
    this.nextSession = (this.nextSession + 1) % this.settings.sessions;
    await Promise.all([this.toggleSession(session), this.publishRound(), this.cleanClientVisit()]);
  }

  /** Takes session `index` offline if it is online, else brings it back (its queued messages arrive). */
  private async toggleSession(index: number): Promise<void> {
    const client = this.online.get(index);
    if (client !== undefined) {
      this.online.delete(index);
      await client.endAsync();
      return;
    }
    // Even sessions speak MQTT 5 with a session expiry, odd ones 3.1.1 with clean session off.
    const version5 = index % 2 === 0;
    const reconnected = await this.connect({
      clientId: `soak-session-${index}`,
      clean: false,
      protocolVersion: version5 ? 5 : 4,
      properties: version5 ? { sessionExpiryInterval: SESSION_EXPIRY_SECONDS } : undefined,
    });
    reconnected.on('message', () => this.totals.received++);
    await reconnected.subscribeAsync({ [`soak/session/${index}`]: { qos: 1 }, [`soak/retained/${index % this.settings.retainedTopics}`]: { qos: 0 } });
    this.online.set(index, reconnected);
    this.totals.reconnects++;
  }

  /** QoS 1 to a session (often offline, so it is queued), one retained set, every tenth step one retained clear. */
  private async publishRound(): Promise<void> {
    const publisher = this.publisher!;
    const step = this.totals.steps;
    const session = (step * 7) % this.settings.sessions;
    const retainedTopic = `soak/retained/${step % this.settings.retainedTopics}`;
    const clear = step % 10 === 0;
    await Promise.all([
      publisher.publishAsync(`soak/session/${session}`, `queued ${step}`, { qos: 1 }),
      publisher.publishAsync(retainedTopic, clear ? '' : `retained ${step}`, { qos: 1, retain: true }),
    ]);
    this.totals.published += 2;
  }

  /** A clean client under a fresh id: subscribe, publish, then leave cleanly or drop the socket (will fires). */
  private async cleanClientVisit(): Promise<void> {
    const number = this.nextCleanClient++;
    const client = await this.connect({
      clientId: `soak-clean-${number}`,
      clean: true,
      will: { topic: 'soak/will', payload: Buffer.from(`gone ${number}`), qos: 0, retain: false },
    });
    await client.subscribeAsync('soak/will', { qos: 0 });
    await client.publishAsync(`soak/clean/${number % 50}`, 'hello', { qos: 1 });
    this.totals.published++;
    this.totals.cleanClients++;
    if (number % 2 === 0) await client.endAsync();
    else await client.endAsync(true); // no DISCONNECT: the broker sees a lost connection and publishes the will
  }

  private async connect(options: IClientOptions): Promise<MqttClient> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${this.settings.port}`, {
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MILLISECONDS,
      ...options,
    });
    client.on('error', (error) => this.recordError(error));
    return client;
  }

  private recordError(error: unknown): void {
    this.totals.errors++;
    this.totals.firstError ??= error instanceof Error ? error.message : String(error);
  }
}

const delay = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));
