// SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) over MQTT 5 enhanced authentication, against
// the built-in users' stored SCRAM keys. No channel binding (gs2 header `n,,` or `y,,`).
//
//   CONNECT  method, data = client-first  "n,,n=<user>,r=<client nonce>"
//   AUTH 0x18       data = server-first  "r=<client nonce><server nonce>,s=<salt>,i=<iterations>"
//   AUTH 0x18       data = client-final  "c=biws,r=<nonce>,p=<proof>"
//   CONNACK         data = server-final  "v=<server signature>"
//
// A re-authentication (AUTH 0x19) runs the same exchange on the live connection and must name the
// same user. State lives per connection, keyed by its PeerInfo object.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ReasonCode } from '../codec/constants.js';
import type { EnhancedAuthRequest, EnhancedAuthResult } from '../hooks/events.js';
import type { PeerInfo } from '../core/client.js';
import { scramCredentials, type ScramCredentials, type ScramHash } from './scram-credentials.js';
import type { UserDatabase, UserRecord } from './users.js';

export const SCRAM_METHODS: Readonly<Record<string, ScramHash>> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

interface Exchange {
  hash: ScramHash;
  username: string;
  user: UserRecord | undefined;
  credentials: ScramCredentials;
  nonce: string;
  clientFirstBare: string;
  serverFirst: string;
}

interface ConnectionState {
  exchange: Exchange | undefined;
  /** The user this connection authenticated as, which a re-authentication must repeat. */
  authenticated: string | undefined;
}

const deny = (reasonString: string, reasonCode: number = ReasonCode.NotAuthorized): EnhancedAuthResult => ({ result: 'deny', reasonCode, reasonString });

export class ScramServer {
  private readonly states = new WeakMap<PeerInfo, ConnectionState>();

  constructor(private readonly users: UserDatabase) {}

  step(request: EnhancedAuthRequest): EnhancedAuthResult | undefined {
    const hash = SCRAM_METHODS[request.method];
    if (hash === undefined) return undefined;
    let state = this.states.get(request.peer);
    if (state === undefined) {
      state = { exchange: undefined, authenticated: undefined };
      this.states.set(request.peer, state);
    }
    const data = request.data?.toString('utf8') ?? '';
    if (state.exchange === undefined || data.startsWith('n,') || data.startsWith('y,')) return this.first(state, hash, data, request);
    return this.final(state, data, request);
  }

  private first(state: ConnectionState, hash: ScramHash, data: string, request: EnhancedAuthRequest): EnhancedAuthResult {
    const match = /^([ny]),(?:a=[^,]*)?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/.exec(data);
    if (match === null) return deny('malformed SCRAM client-first-message (channel binding is not supported)', ReasonCode.BadAuthenticationMethod);
    const clientFirstBare = match[2]!;
    const username = decodeName(match[3]!);
    const clientNonce = match[4]!;
    if (request.reauthenticate && username !== state.authenticated) return deny('re-authentication must use the same user');
    const user = this.users.get(username);
    // An unknown user gets a made-up challenge and fails at the proof, so the exchange does not reveal who exists.
    const credentials = user?.scram?.[hash] ?? scramCredentials(hash, randomBytes(16).toString('base64'), 4096);
    const nonce = clientNonce + randomBytes(18).toString('base64');
    const serverFirst = `r=${nonce},s=${credentials.salt},i=${credentials.iterations}`;
    state.exchange = { hash, username, user, credentials, nonce, clientFirstBare, serverFirst };
    return { result: 'continue', data: Buffer.from(serverFirst) };
  }

  private final(state: ConnectionState, data: string, request: EnhancedAuthRequest): EnhancedAuthResult {
    const exchange = state.exchange!;
    state.exchange = undefined;
    // 0x86 is a CONNACK code only; a failed re-authentication ends in DISCONNECT 0x87.
    const badPassword = request.reauthenticate ? ReasonCode.NotAuthorized : ReasonCode.BadUserNameOrPassword;
    const match = /^(c=([^,]*),r=([^,]*)(?:,.*)?),p=([^,]+)$/.exec(data);
    if (match === null) return deny('malformed SCRAM client-final-message', ReasonCode.BadAuthenticationMethod);
    const [, withoutProof, , nonce, proofText] = match;
    if (nonce !== exchange.nonce) return deny('SCRAM nonce mismatch');
    const authMessage = `${exchange.clientFirstBare},${exchange.serverFirst},${withoutProof!}`;
    const storedKey = Buffer.from(exchange.credentials.storedKey, 'base64');
    const clientSignature = createHmac(exchange.hash, storedKey).update(authMessage).digest();
    const proof = Buffer.from(proofText!, 'base64');
    if (proof.length !== clientSignature.length) return deny('bad username or password', badPassword);
    const clientKey = Buffer.alloc(proof.length);
    for (let index = 0; index < proof.length; index++) clientKey[index] = proof[index]! ^ clientSignature[index]!;
    const computed = createHash(exchange.hash).update(clientKey).digest();
    if (exchange.user === undefined || !timingSafeEqual(computed, storedKey)) return deny('bad username or password', badPassword);
    if (exchange.user.clientId !== undefined && exchange.user.clientId !== request.clientId) {
      return deny(`user ${exchange.username} is bound to another client id`);
    }
    const serverSignature = createHmac(exchange.hash, Buffer.from(exchange.credentials.serverKey, 'base64')).update(authMessage).digest('base64');
    state.authenticated = exchange.username;
    return { result: 'success', data: Buffer.from(`v=${serverSignature}`), username: exchange.username, superuser: exchange.user.superuser };
  }
}

/** RFC 5802 saslname: `=2C` is ',' and `=3D` is '='. */
function decodeName(name: string): string {
  return name.replaceAll('=2C', ',').replaceAll('=3D', '=');
}
