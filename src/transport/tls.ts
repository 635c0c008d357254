// MQTT over TLS (port 8883): server certificate and SNI, mutual TLS with the verified client
// certificate passed on in PeerInfo, certificate reload without restart, PROXY protocol.
//
// A plain net.Server accepts the connection and hands it to a tls.Server that never listens itself:
// that way a PROXY header, which precedes the TLS handshake, can be read off the raw socket first.

import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { Server as TlsServer, type TlsOptions, type TLSSocket } from 'node:tls';
import type { ListenerConfig } from '../config/types.js';
import type { PeerInfo } from '../core/client.js';
import type { Logger } from '../log.js';
import { CertificateStore, identityFromCertificate, peerCertificateOf } from './certificates.js';
import { PROXY_HEADER_TIMEOUT_MS, listenerLabel, peerOf, type BoundAddress, type Listener, type ListenerContext } from './listener.js';
import { readProxyHeader, type ProxiedAddress } from './proxy-protocol.js';
import { listenOn } from './tcp.js';

/** A client that opened TCP but does not finish the TLS handshake in this time is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export class TlsListener implements Listener {
  private readonly server: Server;
  private readonly tlsServer: TlsServer;
  private readonly certificates: CertificateStore;
  /** Client addresses from PROXY headers, by raw socket, until the handshake completes. */
  private readonly proxied = new WeakMap<Socket, ProxiedAddress>();

  constructor(
    private readonly config: ListenerConfig,
    private readonly context: ListenerContext,
  ) {
    const label = listenerLabel(config);
    this.certificates = new CertificateStore(config, label, context.logger);
    this.tlsServer = new TlsServer(secureServerOptions(config, this.certificates));
    this.tlsServer.on('secureConnection', (socket: TLSSocket) => {
      if (refuseUnverified(socket, config, context.logger, label)) return;
      // NOTE: _parent is the raw socket the TLSSocket wraps (Node sets it for server sockets); it is
      // the key under which the PROXY header's address was kept.
      const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
      const source = raw === undefined ? undefined : this.proxied.get(raw);
      const peer = tlsPeer(socket, 'tls', config, source);
      context.accept(socket, peer);
    });
    this.tlsServer.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
      logHandshakeFailure(context.logger, label, socket.remoteAddress, error);
    });
    this.server = createNetServer({ noDelay: true }, (socket: Socket) => {
      if (config.proxyProtocol === true) this.acceptProxied(socket, label);
      else this.tlsServer.emit('connection', socket);
    });
    if (config.maxConnections) this.server.maxConnections = config.maxConnections;
  }

  start(): Promise<BoundAddress> {
    this.certificates.watch(() => this.reload());
    return listenOn(this.server, this.config);
  }

  stop(): Promise<void> {
    this.certificates.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reload(): void {
    this.certificates.reload((options) => this.tlsServer.setSecureContext(options));
  }

  private acceptProxied(socket: Socket, label: string): void {
    socket.on('error', () => socket.destroy());
    readProxyHeader(socket, PROXY_HEADER_TIMEOUT_MS).then(
      (source) => {
        if (source !== undefined) this.proxied.set(socket, source);
        this.tlsServer.emit('connection', socket);
        socket.resume();
      },
      (error: Error) => {
        this.context.logger.warn({ listener: label, peer: socket.remoteAddress, reason: error.message }, 'bad PROXY protocol header; closing');
        socket.destroy();
      },
    );
  }
}

/** tls.Server / https.Server options of a tls or wss listener. */
export function secureServerOptions(config: ListenerConfig, certificates: CertificateStore): TlsOptions {
  const requestCert = config.requestCert === true;
  return {
    ...certificates.defaultOptions,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    requestCert,
    // Checked after the handshake by refuseUnverified, so the refusal is logged with its reason
    // (OpenSSL would only say the socket hung up).
    rejectUnauthorized: false,
    ...(config.sni !== undefined && config.sni.length > 0 ? { SNICallback: certificates.sniCallback } : {}),
  };
}

/** PeerInfo of a TLS connection: address (or the proxied one), verified certificate, identity from it. */
export function tlsPeer(socket: TLSSocket, listener: string, config: ListenerConfig, source: ProxiedAddress | undefined): PeerInfo {
  const peer = peerOf(socket, listener);
  if (source !== undefined) Object.assign(peer, source);
  const certificate = peerCertificateOf(socket);
  if (certificate !== undefined) {
    peer.certificate = certificate;
    const identity = identityFromCertificate(config, certificate);
    if (identity !== undefined) peer.fromCertificate = identity;
  }
  return peer;
}

/** With request_cert and reject_unauthorized (the default), closes a client whose certificate is missing or not verified. */
export function refuseUnverified(socket: TLSSocket, config: ListenerConfig, logger: Logger, label: string): boolean {
  if (config.requestCert !== true || config.rejectUnauthorized === false || socket.authorized) return false;
  const reason = socket.authorizationError instanceof Error ? socket.authorizationError.message : String(socket.authorizationError ?? 'no certificate');
  logger.warn({ listener: label, peer: socket.remoteAddress, reason }, 'TLS client certificate refused; closing');
  socket.destroy();
  return true;
}

export function logHandshakeFailure(logger: Logger, label: string, address: string | undefined, error: Error & { code?: string }): void {
  logger.warn({ listener: label, peer: address, code: error.code, reason: error.message }, 'TLS handshake failed; closing');
}
