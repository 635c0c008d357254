// A Duplex over one WebSocket, as the connection layer wants a byte stream: each binary message's
// bytes are read in order (MQTT packets may span messages or share one [MQTT-6.0.0-2]); the
// connection's batched writes (cork/uncork -> _writev) leave as one binary message.
//
// Unlike ws.createWebSocketStream, a batch is one frame, and a text frame closes the connection
// [MQTT-6.0.0-1]. Backpressure: reading pauses the WebSocket while the stream's buffer is full;
// a write completes when ws has handed it to the socket, so writableLength counts what is unsent.

import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** WebSocket close code 1003: unsupported data (a text frame). */
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_NORMAL = 1000;

export class WebSocketStream extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) {
        ws.close(CLOSE_UNSUPPORTED_DATA, 'MQTT needs binary frames');
        return;
      }
      const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!this.push(chunk)) ws.pause();
    });
    ws.once('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.ws.send(chunk, { binary: true }, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((entry) => entry.chunk);
    this.ws.send(buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers), { binary: true }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ws.close(CLOSE_NORMAL);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate();
    callback(error);
  }
}
