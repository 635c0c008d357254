// The broker's event emitter: Node's EventEmitter, except that a listener that throws is reported and
// skipped, never thrown into the code that raised the event (a publisher's channel, a session timer),
// and that `listens(event)` answers with one property read: the hot path asks it before building an
// event object, per message.

import { EventEmitter } from 'node:events';
import type { BrokerEvents } from './events.js';

export class EventBus extends EventEmitter<BrokerEvents> {
  /** Told about a listener that threw (the broker logs it); the other listeners still run. */
  onListenerError: (event: string, error: unknown) => void = () => {};
  /** Listeners per event name, kept by the emitter's own newListener/removeListener notices. */
  private readonly listening: Record<string | symbol, number> = {};

  constructor() {
    super();
    const emitter = this as EventEmitter;
    emitter.on('newListener', (event: string | symbol) => {
      this.listening[event] = (this.listening[event] ?? 0) + 1;
    });
    emitter.on('removeListener', (event: string | symbol) => {
      this.listening[event] = (this.listening[event] ?? 1) - 1;
    });
  }

  /** Whether any listener waits for `event`. */
  listens(event: keyof BrokerEvents): boolean {
    return (this.listening[event] ?? 0) > 0;
  }

  override emit<K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]): boolean {
    // Callers check listens() before building the event object, so this copy is made only when someone listens.
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
