// Accepted plain TCP connections on libuv's TCP handle itself, without a net.Socket around it.
//
// Why: a net.Socket is a full Node stream (a Readable and a Writable state, listeners, an async
// resource): about 1 KB of heap per idle connection and 8 us of CPU to create, and each write passes
// through Writable.write (about 430 bytes of garbage per message at 20k msg/s). The connection layer
// uses a handful of its members (ByteStream), which this class provides directly on the handle:
// - reads land in the process's shared read buffer (useUserBuffer) and are emitted as copies;
// - a write goes to the handle at once; the kernel usually takes it whole, so no request object
//   outlives the call (one spare request is reused), and only writes the kernel could not take
//   wait, counted in writableLength, with 'drain' once they are done;
// - end() shuts the write side down after pending writes; the socket closes once both sides ended.
//
// How: Node's listening handle calls its `onconnection` with each accepted handle; net.Server wraps
// it in a net.Socket there. acceptRawConnections() takes that call over. The request classes and
// the shared state array come from Node's `stream_wrap` binding (process.binding), which is not a
// stable API: if any piece is missing, nothing is taken over and sockets stay net.Sockets.

import { EventEmitter } from 'node:events';
import type { Server } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { copyOfSharedRead, sharedReadBuffer } from './shared-read-buffer.js';
import type { ByteStream } from './listener.js';

/** libuv's end-of-stream code (UV_EOF), the same on every platform. */
const UV_EOF = -4095;
/** Like net.Socket's highWaterMark: write() answers false (wait for 'drain') from this many pending bytes. */
const HIGH_WATER_MARK = 16 * 1024;

interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  socket: RawTcpSocket | undefined;
  /** Kept referenced until the write is done. */
  buffer: Buffer | undefined;
  bytes: number;
}
interface ShutdownRequest {
  oncomplete: (this: ShutdownRequest, status: number) => void;
  socket: RawTcpSocket | undefined;
}
interface StreamBindings {
  WriteWrap: new () => WriteRequest;
  ShutdownWrap: new () => ShutdownRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

/** The members of Node's TCPWrap used here. */
interface TcpHandle {
  onread: ((this: TcpHandle) => undefined) | null;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
  writeBuffer(request: WriteRequest, buffer: Buffer): number;
  shutdown(request: ShutdownRequest): number;
  close(callback: () => void): void;
  getpeername(out: { address?: string; port?: number }): number;
  setNoDelay(on: boolean): number;
  socket?: RawTcpSocket;
}
interface ListeningHandle {
  onconnection: (this: ListeningHandle, status: number, client?: TcpHandle) => void;
}

const bindings = loadBindings();
/** Node fills it before each read callback and after each write: bytes read (or an error), whether the write went async. */
const streamState = bindings?.streamBaseState ?? new Int32Array(0);
const READ_BYTES_OR_ERROR = bindings?.kReadBytesOrError ?? 0;
const LAST_WRITE_WAS_ASYNC = bindings?.kLastWriteWasAsync ?? 0;

function loadBindings(): StreamBindings | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamBindings> }).binding('stream_wrap');
    const { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kLastWriteWasAsync } = binding;
    if (typeof WriteWrap !== 'function' || typeof ShutdownWrap !== 'function' || !(streamBaseState instanceof Int32Array)) return undefined;
    if (typeof kReadBytesOrError !== 'number' || typeof kLastWriteWasAsync !== 'number' || getSystemErrorName(UV_EOF) !== 'EOF') return undefined;
    return { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kLastWriteWasAsync };
  } catch {
    return undefined;
  }
}

/**
 * Takes over a listening net.Server's accepted connections: each arrives as a RawTcpSocket instead of a
 * net.Socket ('connection' is no longer emitted). Call after the server listens. Returns false, changing
 * nothing, where this Node version does not allow it.
 */
export function acceptRawConnections(server: Server, onSocket: (socket: RawTcpSocket) => void, noDelay: boolean): boolean {
  const listening = (server as unknown as { _handle?: ListeningHandle | null })._handle;
  if (bindings === undefined || typeof listening?.onconnection !== 'function') return false;
  const netAccept = listening.onconnection;
  listening.onconnection = function (status, client) {
    // An accept error is net.Server's to report; a handle without user-buffer reads stays a net.Socket.
    if (status !== 0 || client === undefined || typeof client.useUserBuffer !== 'function') return netAccept.call(this, status, client);
    if (noDelay) client.setNoDelay(true);
    onSocket(new RawTcpSocket(client));
  };
  return true;
}

function onRead(this: TcpHandle): undefined {
  const socket = this.socket!;
  const nread = streamState[READ_BYTES_OR_ERROR]!;
  if (nread > 0) socket.emit('data', copyOfSharedRead(nread));
  else if (nread === UV_EOF) socket.peerEnded();
  else if (nread < 0) socket.destroy(uvError(nread, 'read'));
  // Anything returned here would become the handle's next read buffer.
  return undefined;
}

function afterWrite(this: WriteRequest, status: number): void {
  const socket = this.socket!;
  socket.writeDone(this.bytes, status);
  this.socket = undefined;
  this.buffer = undefined;
}

function afterShutdown(this: ShutdownRequest, status: number): void {
  const socket = this.socket!;
  this.socket = undefined;
  socket.shutdownDone(status);
}

function uvError(code: number, syscall: string): NodeJS.ErrnoException {
  const name = getSystemErrorName(code);
  return Object.assign(new Error(`${syscall} ${name}`), { code: name, errno: code, syscall });
}

/** A write request the kernel took whole, free for the next write (any socket's). */
let spareWriteRequest: WriteRequest | undefined;

export class RawTcpSocket extends EventEmitter implements ByteStream {
  destroyed = false;
  closed = false;
  /** Bytes of writes the kernel has not taken yet. */
  writableLength = 0;
  private pendingWrites = 0;
  private needDrain = false;
  /** 0: not started; 1: reading; 2: not reading (pause(), or the peer ended). */
  private readState: 0 | 1 | 2 = 0;
  private pausedBeforeStart = false;
  private finReceived = false;
  private ending = false;
  private writeEnded = false;
  private peer: { address?: string; port?: number } | undefined;

  constructor(private readonly handle: TcpHandle) {
    super();
    handle.socket = this;
    handle.onread = onRead;
    handle.useUserBuffer(sharedReadBuffer);
  }

  /** Starts reading (once the connection layer listens for 'data'), unless pause() came first. */
  start(): void {
    if (this.pausedBeforeStart) this.readState = 2;
    else this.readFromHandle();
  }

  get remoteAddress(): string | undefined {
    return this.peerName().address;
  }

  get remotePort(): number | undefined {
    return this.peerName().port;
  }

  write(chunk: Buffer): boolean {
    if (this.destroyed || this.ending) return false;
    const request = spareWriteRequest ?? newWriteRequest();
    spareWriteRequest = undefined;
    const error = this.handle.writeBuffer(request, chunk);
    if (error !== 0) {
      this.destroy(uvError(error, 'write'));
      return false;
    }
    if (streamState[LAST_WRITE_WAS_ASYNC] === 0) {
      spareWriteRequest = request;
      return !this.needDrain;
    }
    request.socket = this;
    request.buffer = chunk;
    request.bytes = chunk.length;
    this.pendingWrites++;
    this.writableLength += chunk.length;
    if (this.writableLength >= HIGH_WATER_MARK) this.needDrain = true;
    return !this.needDrain;
  }

  /** Shuts the write side down once pending writes are done; the socket closes when the peer has ended too. */
  end(): this {
    if (this.destroyed || this.ending) return this;
    this.ending = true;
    if (this.pendingWrites === 0) this.shutdown();
    return this;
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (this.readState === 1) this.handle.readStop();
    this.handle.close(() => {
      this.closed = true;
      this.handle.socket = undefined;
      if (error !== undefined) this.emit('error', error);
      this.emit('close', error !== undefined);
    });
    return this;
  }

  pause(): this {
    if (this.readState === 0) this.pausedBeforeStart = true;
    else if (this.readState === 1) {
      this.handle.readStop();
      this.readState = 2;
    }
    return this;
  }

  resume(): this {
    if (this.readState === 0) this.pausedBeforeStart = false;
    else if (this.readState === 2) this.readFromHandle();
    return this;
  }

  // Called by the handle's callbacks above, not by users of the socket.

  /** The peer's FIN: like a net.Socket without allowHalfOpen, end our side too. */
  peerEnded(): void {
    this.finReceived = true;
    this.handle.readStop();
    this.readState = 2;
    if (this.writeEnded) this.destroy();
    else this.end();
  }

  writeDone(bytes: number, status: number): void {
    this.pendingWrites--;
    this.writableLength -= bytes;
    if (this.destroyed) return;
    if (status < 0) {
      this.destroy(uvError(status, 'write'));
      return;
    }
    if (this.pendingWrites > 0) return;
    if (this.ending) this.shutdown();
    else if (this.needDrain) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  shutdownDone(status: number): void {
    this.writeEnded = true;
    if (status < 0 || this.finReceived) this.destroy();
  }

  private shutdown(): void {
    const request = new bindings!.ShutdownWrap();
    request.oncomplete = afterShutdown;
    request.socket = this;
    // Fails when the peer has reset the connection: then there is nothing left to end.
    if (this.handle.shutdown(request) !== 0) this.destroy();
  }

  private readFromHandle(): void {
    if (this.destroyed || this.finReceived) return;
    this.readState = 1;
    const error = this.handle.readStart();
    if (error !== 0) this.destroy(uvError(error, 'read'));
  }

  private peerName(): { address?: string; port?: number } {
    if (this.peer === undefined) {
      this.peer = {};
      if (!this.destroyed) this.handle.getpeername(this.peer);
    }
    return this.peer;
  }
}

function newWriteRequest(): WriteRequest {
  const request = new bindings!.WriteWrap();
  request.oncomplete = afterWrite;
  request.socket = undefined;
  request.buffer = undefined;
  request.bytes = 0;
  return request;
}
