// Plain number fields incremented inline on the hot path; the metrics registry reads them
// (see broker-metrics.ts for each one's metric name and help text).

/** Broker-wide counts. */
export class Counters {
  clientsConnected = 0;
  clientsMaximum = 0;
  /** Messages routed (PUBLISH packets from clients and messages published in-process), by QoS. */
  readonly messagesReceived: [number, number, number] = [0, 0, 0];
  /** PUBLISH packets sent to subscribers, by QoS. */
  readonly messagesSent: [number, number, number] = [0, 0, 0];
  /** CONNECTs that passed authentication; those without username and password also count as anonymous. */
  authenticationSuccess = 0;
  authenticationAnonymous = 0;
  authenticationFailure = 0;
  /** PUBLISH and SUBSCRIBE decisions of the authorization hooks (none counted while no hook is set). */
  authorizationAllow = 0;
  authorizationDeny = 0;
  droppedNoSubscribers = 0;
  droppedNotAuthorized = 0;
  droppedByHook = 0;
  droppedQueueFull = 0;
  droppedExpired = 0;
  droppedTooLarge = 0;
  droppedSlowConsumer = 0;
  droppedStoreFull = 0;
  /** PUBLISH packets refused (rate_limit policy drop) or ended with their connection (disconnect) over a rate limit. */
  droppedRateLimited = 0;
  retainedMessages = 0;
  subscriptions = 0;
  /** Of the subscriptions, those in shared groups ($share/...). */
  sharedSubscriptions = 0;
  /** Distinct topic filters routed (a shared group's filter counts once). */
  topics = 0;
}

/** Traffic of one kind of listener (tcp, tls, ws, wss, local, custom): a connection holds its listener's. */
export class ListenerTraffic {
  connectionsAccepted = 0;
  /** MQTT clients connected now (CONNACK sent, not yet disconnected). */
  clientsConnected = 0;
  /** MQTT control packets, indexed by packet type code (1 CONNECT ... 15 AUTH; see packetTypeCode). */
  readonly packetsReceived = new Float64Array(16);
  readonly packetsSent = new Float64Array(16);
  bytesReceived = 0;
  bytesSent = 0;
}

/** Packet type names by their MQTT code (index 0 is reserved), as the `type` label shows them. */
export const PACKET_TYPE_NAMES = ['reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth'] as const;

/** The MQTT code of a packet type, to index the per-type counts (the common types are compared first). */
export function packetTypeCode(type: (typeof PACKET_TYPE_NAMES)[number]): number {
  switch (type) {
    case 'publish':
      return 3;
    case 'puback':
      return 4;
    case 'pubrec':
      return 5;
    case 'pubrel':
      return 6;
    case 'pubcomp':
      return 7;
    case 'pingreq':
      return 12;
    case 'pingresp':
      return 13;
    case 'connect':
      return 1;
    case 'connack':
      return 2;
    case 'subscribe':
      return 8;
    case 'suback':
      return 9;
    case 'unsubscribe':
      return 10;
    case 'unsuback':
      return 11;
    case 'disconnect':
      return 14;
    case 'auth':
      return 15;
    case 'reserved':
      return 0;
  }
}

/** The traffic counters by listener, made on a listener's first connection. */
export class TrafficByListener {
  private readonly byListener = new Map<string, ListenerTraffic>();

  of(listener: string): ListenerTraffic {
    let traffic = this.byListener.get(listener);
    if (traffic === undefined) {
      traffic = new ListenerTraffic();
      this.byListener.set(listener, traffic);
    }
    return traffic;
  }

  entries(): IterableIterator<[listener: string, traffic: ListenerTraffic]> {
    return this.byListener.entries();
  }
}
