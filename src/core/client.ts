// Who is at the other end of a channel: the peer (address, listener, certificate) and, once CONNECT is
// accepted, the client (id, username, protocol, what its authenticator established).

import type { ProtocolVersion } from '../codec/constants.js';
import type { ListenerConfig } from '../config/types.js';

export interface PeerInfo {
  address: string;
  port: number;
  /** Which listener accepted the connection: 'tcp', 'tls', 'ws', 'wss' or 'local'. */
  listener: string;
  /** The configuration of that listener (per-listener authentication); absent for streams served by handleConnection(). */
  listenerConfig?: ListenerConfig;
  /** The client certificate a tls/wss listener verified (mutual TLS). */
  certificate?: PeerCertificate;
  /** Identity the listener takes from that certificate (peer_cert_as_username / peer_cert_as_client_id); it replaces the CONNECT's. */
  fromCertificate?: { username?: string; clientId?: string };
}

/** A verified client certificate, as the auth layer sees it. */
export interface PeerCertificate {
  /** Full subject in RFC 4514 form, most specific first: `CN=device-1,O=Acme,C=DE`. */
  subject: string;
  /** The subject's common name, if it has one. */
  commonName: string | undefined;
  /** Subject alternative names as OpenSSL prints them: `DNS:a.example`, `IP Address:10.0.0.1`. */
  subjectAltNames: string[];
  issuer: string;
  serialNumber: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  validTo: string;
}

/** A connected client as hooks and events see it. */
export interface ClientInfo {
  clientId: string;
  username: string | undefined;
  protocolVersion: ProtocolVersion;
  peer: PeerInfo;
  keepAlive: number;
  clean: boolean;
  /** Set by the authenticator that allowed the client; superusers pass every ACL check. */
  superuser?: boolean;
  /**
   * What the authenticator learned about the client, for ACL rules: `jwt` (the verified claims),
   * `jwtAcl` (the topics granted by the JWT `acl_claim`), `certificate` ({cn, subject}), `http`
   * (the `attributes` object of the HTTP auth answer).
   */
  attributes?: Record<string, unknown>;
}

/**
 * Attaches the accepting listener's configuration to a peer without making it part of the peer's JSON:
 * a listener config holds secrets (a TLS key passphrase) that logs, events and the API must never show.
 */
export function attachListenerConfig(peer: PeerInfo, config: ListenerConfig): void {
  Object.defineProperty(peer, 'listenerConfig', { value: config, enumerable: false, writable: true, configurable: true });
}
