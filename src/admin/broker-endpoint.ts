// The admin context of a running broker: its store's users, administrators and records, with the
// changes tied to the broker so they take effect at once instead of at the next store poll: ACL
// changes rebuild the rules (each client's decision cache is replaced at its next check), and a new
// ban disconnects the connected clients it matches.

import { BanList, type Ban } from '../auth/bans.js';
import type { UserDatabase } from '../auth/users.js';
import { ReasonCode } from '../codec/constants.js';
import type { StarlingBroker } from '../instance.js';
import { AdminDatabase } from './admins.js';
import { type AdminContext, type AdminEffects } from './operations.js';

export function brokerAdminContext(broker: StarlingBroker, users: UserDatabase): AdminContext {
  return {
    users,
    admins: new AdminDatabase(broker.authorization!.records, () => broker.store?.flushed()),
    records: broker.authorization!.records,
    committed: (visible) => committed(broker, visible),
    effects: brokerEffects(broker),
    actor: 'ctl',
  };
}

/** Longest wait for a write to become readable (durability `batched` commits every batch_interval_ms). */
const COMMIT_WAIT_MS = 10_000;

// With durability `sync` flushed() resolves after the commit; with `batched` it does not wait, and
// reads see a write only once its batch commits, so the change is polled for until it shows.
async function committed(broker: StarlingBroker, visible: () => boolean): Promise<void> {
  await broker.store?.flushed();
  const deadline = Date.now() + COMMIT_WAIT_MS;
  while (!visible() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
}

function brokerEffects(broker: StarlingBroker): AdminEffects {
  return {
    stop: () => {
      const events = broker.core.events;
      if (!events.listens('broker.stop_requested')) return false;
      // After the answer has gone out: closing stops this endpoint too.
      setImmediate(() => events.emit('broker.stop_requested', { source: 'admin' }));
      return true;
    },
    aclChanged: () => broker.authorization?.refresh(),
    banRemoved: () => broker.authorization?.refresh(),
    banAdded: (ban: Ban) => {
      broker.authorization?.refresh();
      const count = disconnectBanned(broker, [ban]);
      if (count > 0) broker.logger.info({ ban: `${ban.kind} ${ban.value}`, clients: count }, 'banned clients disconnected');
    },
  };
}

/** Disconnects the connected clients the bans match; returns how many. */
export function disconnectBanned(broker: StarlingBroker, bans: readonly Ban[]): number {
  const matcher = new BanList();
  for (const ban of bans) matcher.add(ban);
  const now = Date.now();
  // DISCONNECT has no 0x8A Banned (a CONNACK code); 0x98 Administrative action is the one for a
  // server that ends a connection on an operator's order. The will of a banned client is not sent.
  return broker.disconnectClients(
    (client) => matcher.find({ clientId: client.clientId, username: client.username, address: client.peer.address }, now) !== undefined,
    ReasonCode.AdministrativeAction,
    'banned',
    false,
  );
}
