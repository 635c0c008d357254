// The broker's event emitter: Node's EventEmitter, except that a listener that throws is reported and
// skipped, never thrown into the code that raised the event (a publisher's channel, a session timer).

import { EventEmitter } from 'node:events';
import type { BrokerEvents } from './events.js';

export class EventBus extends EventEmitter<BrokerEvents> {
  /** Told about a listener that threw (the broker logs it); the other listeners still run. */
  onListenerError: (event: string, error: unknown) => void = () => {};

  override emit<K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]): boolean {
    // Callers check listenerCount() before building the event object, so this copy is made only when someone listens.
    const listeners = this.rawListeners(event) as Array<(...values: unknown[]) => void>;
    if (listeners.length === 0) return false;
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
    return true;
  }
}
