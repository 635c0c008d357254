// Waiting for conditions and events with a deadline, never a bare sleep.

/** Anything with EventEmitter's on/once/off (MQTT.js clients, sockets, the broker). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;
export interface Emitter {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with the arguments of the next `event`, or rejects after timeoutMs. */
export function nextEvent<T extends unknown[] = unknown[]>(emitter: Emitter, event: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    const handler = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, handler);
  });
}

/** Collects `count` emissions of `event`, or rejects after timeoutMs with what arrived. */
export function collectEvents<T extends unknown[] = unknown[]>(emitter: Emitter, event: string, count: number, timeoutMs = 15_000): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const seen: T[] = [];
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out after ${timeoutMs} ms: ${seen.length}/${count} '${event}' events`));
    }, timeoutMs);
    const handler = (...args: unknown[]): void => {
      seen.push(args as T);
      if (seen.length === count) {
        clearTimeout(timer);
        emitter.off(event, handler);
        resolve(seen);
      }
    };
    emitter.on(event, handler);
  });
}
