// Sessions anywhere: which node owns each client id, and moving a session to the node a client
// connects to. The owners bucket holds `o.<client>` -> {node, clientId}, written by compare-and-set, so
// of two simultaneous CONNECTs with one id the later CAS wins; `i.<node>.<client>` indexes a node's
// sessions (read at its start and by the node that adopts them when it dies).
//
// CONNECT on node R (the registry's loader; the open waits, reading pauses):
//   1. CAS the owner key to R (retry on conflict);
//   2. if it named another node Q, ask Q to release the session (`<prefix>.ctl.Q.release`): Q waits for
//      any open of that id, kicks its client (MQTT 5: DISCONNECT 0x8E), writes the session once more and
//      replies with its routed position in the message stream (the cursor). No responders: Q is dead, and
//      the cursor is where Q's consumer acknowledged;
//   3. Clean Start: delete what is stored; otherwise read the session, write its deliveries again under
//      R's ids, and have the durable plane bring it up to date from the cursor (replay or skip).
// The client's will is recorded as `w.<node>.<client>` while it is connected, for a node that dies.

import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Packr } from 'msgpackr';
import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/nats-core';
import { ReasonCode } from '../../codec/constants.js';
import type { Will } from '../../codec/types.js';
import type { BrokerCore } from '../../broker/broker.js';
import { ProtocolError } from '../../channel/protocol-error.js';
import type { Logger } from '../../log.js';
import { Delivery } from '../../session/delivery.js';
import type { SessionPersistence } from '../../session/persistence.js';
import type { SessionRegistry } from '../../session/registry.js';
import { rebuildSession, toMessage } from '../../session/restore.js';
import type { Session } from '../../session/session.js';
import type { LoadedSession } from '../../store/store.js';
import { clientKey, type ClusterNames } from './names.js';
import type { NatsStore } from './nats-store.js';
import { readStream } from './read.js';

const RELEASE_TIMEOUT_MS = 5000;
const packr = new Packr({ useRecords: false, copyBuffers: true });
const CAS_ATTEMPTS = 20;

interface Owner {
  node: string;
  clientId: string;
}

export interface StoredWill {
  clientId: string;
  will: Will;
}

export interface SessionDirectoryHost {
  nc: NatsConnection;
  js: JetStreamClient;
  owners: KV;
  names: ClusterNames;
  node: string;
  store: NatsStore;
  registry: SessionRegistry;
  broker: BrokerCore;
  persistence: () => SessionPersistence;
  logger: Logger;
  /** This node's position in the message stream (what it has routed). */
  routedSequence(): number;
  /** Where a node's consumer acknowledged (what its sessions hold for sure). */
  cursorOf(node: string): Promise<number>;
  /** Brings an adopted session up to date from `cursor` (its previous owner's position). */
  catchUp(session: Session, cursor: number): Promise<void>;
}

export class SessionDirectory {
  /** The owner key revision this node wrote per client id (a CAS delete when the session ends). */
  private readonly revisions = new Map<string, number>();
  private control: NatsSubscription | undefined;

  constructor(private readonly host: SessionDirectoryHost) {}

  /** The registry's loader: a session already here opens at once; any other CONNECT acquires the id. */
  readonly loader = (clientId: string, clean: boolean): Promise<void> | undefined => {
    if (this.host.registry.get(clientId) !== undefined) return undefined;
    return this.acquire(clientId, clean).catch((error: unknown) => {
      if (error instanceof ProtocolError) throw error;
      this.host.logger.warn({ err: error, clientId }, 'cluster: cannot take the session (JetStream unavailable?): CONNECT refused');
      throw new ProtocolError(ReasonCode.ServerUnavailable, 'cluster unavailable');
    });
  };

  start(): void {
    const { nc, names, node, broker, registry } = this.host;
    this.control = nc.subscribe(names.control(node, 'release'), {
      callback: (_error, msg) => {
        const { clientId } = JSON.parse(msg.string()) as { clientId: string };
        void this.release(clientId).then(
          (cursor) => msg.respond(JSON.stringify({ cursor })),
          (error: unknown) => {
            this.host.logger.error({ err: error, clientId }, 'cluster: releasing a session failed');
            msg.respond(JSON.stringify({ error: String(error) }));
          },
        );
      },
    });
    const ended = ({ clientId }: { clientId: string }): void => {
      // After a Clean Start the registry makes a new session for the id in the same turn: keep the key then.
      queueMicrotask(() => {
        if (registry.get(clientId) === undefined) this.forgetOwner(clientId);
      });
    };
    broker.events.on('session.terminated', ended);
    broker.events.on('session.expired', ended);
    broker.events.on('client.connected', ({ client, will }) => {
      if (will !== undefined) this.track(this.host.owners.put(this.willKey(node, client.clientId), packr.pack({ clientId: client.clientId, will } satisfies StoredWill)));
    });
    broker.events.on('client.disconnected', ({ client }) => {
      this.track(this.host.owners.delete(this.willKey(node, client.clientId)));
    });
  }

  private willKey(node: string, clientId: string): string {
    return `w.${node}.${clientKey(clientId)}`;
  }

  private track(write: Promise<unknown>): void {
    write.catch((error: unknown) => this.host.logger.warn({ err: error }, 'cluster: owners bucket write failed'));
  }

  /** Steps 1-3 of a CONNECT that finds no session here. */
  private async acquire(clientId: string, clean: boolean): Promise<void> {
    const previous = await this.takeOwnership(clientId);
    let cursor: number | undefined;
    if (previous !== undefined && previous !== this.host.node) cursor = await this.releaseFrom(previous, clientId);
    if (this.host.registry.get(clientId) !== undefined) return; // a release of ours was overtaken: it is here
    const state = this.host.store.sessions;
    const loaded = await state.loadSession(clientId);
    if (loaded === undefined) return;
    if (clean) {
      state.delete(clientId); // [MQTT-3.1.2-4] Clean Start discards the stored session
      return;
    }
    await this.adopt(loaded, cursor ?? this.host.routedSequence());
  }

  /** CAS of the owner key to this node; resolves with the node that owned it before (undefined: none). */
  async takeOwnership(clientId: string, only?: string): Promise<string | undefined> {
    const { owners, node } = this.host;
    const key = `o.${clientKey(clientId)}`;
    const value = JSON.stringify({ node, clientId } satisfies Owner);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const entry = await owners.get(key);
      const current = entry !== null && entry.operation === 'PUT' && entry.value.length > 0 ? (entry.json<Owner>().node) : undefined;
      if (only !== undefined && current !== only) return current === node ? node : undefined;
      try {
        const revision = entry === null ? await owners.create(key, value) : await owners.update(key, value, entry.revision);
        this.revisions.set(clientId, revision);
        if (current !== node) {
          this.track(owners.put(`i.${node}.${clientKey(clientId)}`, clientId));
          if (current !== undefined) this.track(owners.delete(`i.${current}.${clientKey(clientId)}`));
        }
        return current;
      } catch (error) {
        if (!/wrong last sequence|key exists/i.test(String(error))) throw error;
        // another CONNECT with this id won the race: read again and take it from that one
      }
    }
    throw new ProtocolError(ReasonCode.ServerBusy, 'too many simultaneous CONNECTs with this client id');
  }

  /** Asks `node` to release the session; its cursor, or where its consumer acknowledged when it is gone. */
  private async releaseFrom(node: string, clientId: string): Promise<number | undefined> {
    try {
      const reply = await this.host.nc.request(this.host.names.control(node, 'release'), JSON.stringify({ clientId }), { timeout: RELEASE_TIMEOUT_MS });
      const answer = JSON.parse(reply.string()) as { cursor?: number; error?: string };
      if (answer.cursor !== undefined) return answer.cursor;
      throw new Error(`node ${node} could not release ${clientId}: ${answer.error}`);
    } catch (error) {
      if (!/no responders|503|timeout/i.test(String((error as Error).message ?? error)) && !/no responders|timeout/i.test(String((error as { code?: string }).code))) throw error;
      this.host.logger.info({ node, clientId }, 'cluster: the session\'s node does not answer: adopting the session from the stream');
      return this.host.cursorOf(node);
    }
  }

  /** Sessions being adopted from a dead node here: a release of one waits for its adoption. */
  private readonly adopting = new Map<string, Promise<unknown>>();

  /** Adopts a dead node's session if its owner key still names that node; false when someone else has it. */
  async adoptFrom(deadNode: string, clientId: string, cursor: number): Promise<boolean> {
    const adoption = (async () => {
      if ((await this.takeOwnership(clientId, deadNode)) !== deadNode) return false;
      const loaded = await this.host.store.sessions.loadSession(clientId);
      if (loaded === undefined) return false;
      await this.adopt(loaded, cursor);
      return true;
    })();
    this.adopting.set(clientId, adoption.catch(() => undefined));
    try {
      return await adoption;
    } finally {
      this.adopting.delete(clientId);
    }
  }

  /** The other side of releaseFrom: hand the session over (after any open of the id here) and report this node's cursor. */
  private async release(clientId: string): Promise<number> {
    const { registry } = this.host;
    await this.adopting.get(clientId);
    await registry.whenSettled(clientId);
    const session = registry.release(clientId);
    const cursor = this.host.routedSequence();
    this.revisions.delete(clientId);
    if (session !== undefined) {
      // Everything it owes is written before the other node reads it.
      const persistence = this.host.persistence();
      await persistence.barrier()?.promise;
      await this.host.store.flushed();
      persistence.forgetSession(session);
      this.host.store.sessions.forget(clientId);
    }
    return cursor;
  }

  /** Makes a loaded session this node's: its deliveries written again under this node's ids, then brought up to date. */
  async adopt(loaded: LoadedSession, cursor: number, now = Date.now()): Promise<Session> {
    const { broker, registry, store } = this.host;
    const persistence = this.host.persistence();
    const state = store.sessions;
    const foreign = state.subjectsFor(loaded.session.clientId).filter((subject) => !/\.q\.\d+$/.test(subject));
    const session = rebuildSession(loaded.session, broker);
    const origin = broker.config.nodeName;
    registry.restore(session, now);
    for (const { delivery: stored, message } of loaded.deliveries) {
      const delivery = new Delivery(toMessage(message, origin), stored.qos, stored.retain, stored.subscriptionIdentifiers, stored.sharedGroup);
      delivery.packetId = stored.packetId;
      delivery.sent = stored.sent || stored.packetId !== 0;
      delivery.released = stored.released;
      session.restoreDelivery(delivery);
      if (session.persistent) persistence.saveDelivery(session, delivery);
    }
    for (const packetId of loaded.incomingQos2) session.incomingQos2.add(packetId);
    state.removeSubjects(foreign);
    registry.persist(session);
    if (loaded.session.pendingWill !== undefined) registry.restoreWill(session, loaded.session.pendingWill, now);
    await this.host.catchUp(session, cursor);
    return session;
  }

  /** Client ids whose owner key names `node` (its index). */
  async clientsOf(node: string): Promise<string[]> {
    const clients: string[] = [];
    await readStream(this.host.js, `KV_${this.bucketName()}`, `$KV.${this.bucketName()}.i.${node}.>`, (msg) => {
      if (msg.data.length > 0 && msg.headers?.get('KV-Operation') !== 'DEL') clients.push(new TextDecoder().decode(msg.data));
    }, { lastPerSubject: true });
    return clients;
  }

  /** The wills recorded by `node` for its connected clients. */
  async willsOf(node: string): Promise<Array<{ key: string; stored: StoredWill }>> {
    const wills: Array<{ key: string; stored: StoredWill }> = [];
    const prefix = `$KV.${this.bucketName()}.`;
    await readStream(this.host.js, `KV_${this.bucketName()}`, `${prefix}w.${node}.>`, (msg) => {
      if (msg.data.length > 0 && msg.headers?.get('KV-Operation') !== 'DEL') wills.push({ key: msg.subject.slice(prefix.length), stored: packr.unpack(msg.data) as StoredWill });
    }, { lastPerSubject: true });
    return wills;
  }

  private bucketName(): string {
    return this.host.names.ownersBucket;
  }

  private forgetOwner(clientId: string): void {
    const revision = this.revisions.get(clientId);
    if (revision === undefined) return;
    this.revisions.delete(clientId);
    const { owners, node } = this.host;
    this.track(owners.delete(`o.${clientKey(clientId)}`, { previousSeq: revision }).then(() => owners.delete(`i.${node}.${clientKey(clientId)}`)));
  }

  stop(): void {
    this.control?.unsubscribe();
  }
}
