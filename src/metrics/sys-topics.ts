// $SYS publication: broker statistics every sys_interval seconds (retained, like Mosquitto's
// $SYS/broker/...), and client lifecycle events on $SYS/brokers/<node>/clients/<id>/(dis)connected.

import { VERSION } from '../version.js';
import type { BrokerCore } from '../broker/broker.js';
import { createMessage } from '../core/message.js';
import type { ClientConnectedEvent, DisconnectedEvent } from '../hooks/events.js';
import type { ClientInfo } from '../core/client.js';
import type { MetricsReader } from './registry.js';

export class SysTopics {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly broker: BrokerCore,
    private readonly metrics: MetricsReader,
  ) {}

  start(): void {
    // Client events are built and published only while some subscription could receive them.
    this.broker.onSysSubscribersChanged = (present) => this.listenForClientEvents(present);
    if (this.broker.hasSysSubscribers) this.listenForClientEvents(true);
    this.schedule();
  }

  /** Publishes now and every sys_interval seconds from now (again after a reload changed it); 0 stops the statistics. */
  schedule(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const interval = this.broker.config.sysInterval;
    if (interval > 0) {
      this.publishStatistics();
      this.timer = setInterval(() => this.publishStatistics(), interval * 1000).unref();
    }
  }

  private readonly onConnected = ({ client, sessionPresent }: ClientConnectedEvent): void => {
    this.event(client.clientId, 'connected', {
      ...describeClient(client),
      keepalive: client.keepAlive,
      clean_start: client.clean,
      session_present: sessionPresent,
      connected_at: Date.now(),
    });
  };

  private readonly onDisconnected = ({ client, reasonCode, reason }: DisconnectedEvent): void => {
    this.event(client.clientId, 'disconnected', {
      ...describeClient(client),
      reason_code: reasonCode,
      reason,
      disconnected_at: Date.now(),
    });
  };

  private listenForClientEvents(listen: boolean): void {
    const events = this.broker.events;
    events.off('client.connected', this.onConnected);
    events.off('client.disconnected', this.onDisconnected);
    if (!listen) return;
    events.on('client.connected', this.onConnected);
    events.on('client.disconnected', this.onDisconnected);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.broker.onSysSubscribersChanged = undefined;
    this.listenForClientEvents(false);
  }

  /** Current statistics as topic -> value (Mosquitto's topics), read from the metrics registry. */
  statistics(): Record<string, string> {
    const metric = (name: string): string => String(this.metrics.value(name));
    const dropped = this.metrics.value('messages.dropped');
    const unrouted = ['no_subscribers', 'not_authorized', 'dropped_by_hook'].reduce((sum, reason) => sum + this.metrics.value('messages.dropped', { reason }), 0);
    return {
      '$SYS/broker/version': `starling ${VERSION}`,
      '$SYS/broker/uptime': `${Math.floor((Date.now() - this.startedAt) / 1000)} seconds`,
      '$SYS/broker/clients/connected': metric('clients.connected'),
      '$SYS/broker/clients/total': metric('sessions.count'),
      '$SYS/broker/clients/maximum': metric('clients.maximum'),
      '$SYS/broker/clients/disconnected': metric('sessions.disconnected'),
      '$SYS/broker/messages/received': metric('packets.received'),
      '$SYS/broker/messages/sent': metric('packets.sent'),
      '$SYS/broker/publish/messages/received': metric('messages.received'),
      '$SYS/broker/publish/messages/sent': metric('messages.sent'),
      // Mosquitto's count: messages a session could not take (queue, expiry, size, slow consumer, store).
      '$SYS/broker/publish/messages/dropped': String(dropped - unrouted),
      '$SYS/broker/bytes/received': metric('bytes.received'),
      '$SYS/broker/bytes/sent': metric('bytes.sent'),
      '$SYS/broker/subscriptions/count': metric('subscriptions.count'),
      '$SYS/broker/retained messages/count': metric('retained.count'),
    };
  }

  private publishStatistics(): void {
    for (const [topic, value] of Object.entries(this.statistics())) {
      this.broker.publish(createMessage({ topic, payload: value, retain: true }, undefined, this.broker.config.nodeName));
    }
  }

  private event(clientId: string, kind: 'connected' | 'disconnected', payload: object): void {
    const topic = `$SYS/brokers/${this.broker.config.nodeName}/clients/${clientId}/${kind}`;
    this.broker.publish(createMessage({ topic, payload: JSON.stringify(payload) }, undefined, this.broker.config.nodeName));
  }
}

/** The fields both client events carry (EMQX's names). */
function describeClient(client: ClientInfo): object {
  return {
    clientid: client.clientId,
    username: client.username ?? null,
    ipaddress: client.peer.address,
    port: client.peer.port,
    proto_ver: client.protocolVersion,
  };
}
