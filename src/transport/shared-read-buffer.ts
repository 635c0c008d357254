// Plain TCP sockets read into one buffer shared by the whole process, not a fresh ArrayBuffer per read.
//
// Why: by default Node backs every socket read with its own malloc'd ArrayBuffer, and each one must
// be swept by the next young-generation GC. At 20k msg/s that sweep was 0.65-0.9 ms of a 1-1.6 ms
// scavenge, every 200 ms: the broker's p99 latency. Reading into one buffer and copying the bytes out
// (into Node's 8 KiB Buffer pool when the read is under 4 KiB) leaves one ArrayBuffer per pool slab.
//
// How: net.Socket's documented `onread` option does exactly this, but Node accepts it only for sockets
// it connects itself, not for sockets a server accepts. Those get the same three fields `onread` sets
// (private symbols, found on a probe socket built with `onread`) and the handle's `useUserBuffer`,
// which `onread` calls. If a Node version lacks any of them, sockets keep Node's
// default reads; nothing else changes.

import { Socket } from 'node:net';

const READ_BUFFER_BYTES = 64 * 1024;

type AcceptedSocket = Socket & Record<symbol, unknown> & { _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } | null };

/** Where every plain TCP socket's reads land (net.Sockets here, RawTcpSockets in raw-tcp-socket.ts). */
export const sharedReadBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

/** The first bytes of the shared buffer, copied out before the next read overwrites them. */
export function copyOfSharedRead(bytesRead: number): Buffer {
  const chunk = Buffer.allocUnsafe(bytesRead);
  // fill() with a Buffer copies its first bytes natively; copy() would first make a view of the source range.
  chunk.fill(sharedReadBuffer, 0, bytesRead);
  return chunk;
}

/** Emits each read as 'data', as before, but as a copy made from the shared buffer. */
function emitCopy(this: Socket, bytesRead: number): void {
  this.emit('data', copyOfSharedRead(bytesRead));
}

/** The private symbols under which a socket keeps what `onread` gave it (each socket has them, set to null). */
const onreadFields = findOnreadFields();

function findOnreadFields(): { buffer: symbol; callback: symbol; generator: symbol } | undefined {
  // @types/node declares `onread` for net.connect() only; the Socket constructor reads it the same way.
  const options = { onread: { buffer: Buffer.alloc(1), callback: () => undefined } } as ConstructorParameters<typeof Socket>[0];
  const probe = new Socket(options);
  const byName = new Map(Object.getOwnPropertySymbols(probe).map((symbol) => [symbol.description, symbol]));
  probe.destroy();
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  return buffer && callback && generator ? { buffer, callback, generator } : undefined;
}

/** Whether this Node version lets accepted sockets read into the shared buffer. */
export const sharedReadsSupported = onreadFields !== undefined;

/**
 * Switches a freshly accepted TCP socket to reads into the shared buffer; 'data' events, pause and
 * resume behave as before. Changes nothing where Node does not allow it.
 */
export function readIntoSharedBuffer(socket: Socket): void {
  const accepted = socket as AcceptedSocket;
  const handle = accepted._handle;
  if (onreadFields === undefined || typeof handle?.useUserBuffer !== 'function') return;
  // Every socket already holds these three fields (as null), so setting them costs no memory.
  accepted[onreadFields.buffer] = sharedReadBuffer;
  accepted[onreadFields.callback] = emitCopy;
  accepted[onreadFields.generator] = null;
  handle.useUserBuffer(sharedReadBuffer);
}
