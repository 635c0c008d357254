// `starling ctl clients list|show|kick`, `subscriptions list [--clientid ID]` and `topics list`:
// the running broker's clients and subscriptions through /api/v5/clients, /subscriptions and
// /topics, printed in `emqx ctl`'s layout (or the API's JSON with --json).

import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';
import { checkArguments, onlyFlags, pageQuery, printPage, type Flags, type PageAnswer } from './ctl-live.js';

export const clientsUsage = `Usage: starling ctl clients list [--page N] [--limit N] [--json]
       starling ctl clients show CLIENTID [--json]
       starling ctl clients kick CLIENTID
       starling ctl subscriptions list [--clientid ID] [--page N] [--limit N] [--json]
       starling ctl topics list [--page N] [--limit N] [--json]

The running broker's clients (connected, and persistent sessions waiting for theirs), in client id
order; kick disconnects one (MQTT 5: DISCONNECT 0x98) and discards its session. Lists print one page
(1000 by default, --limit up to 10000).
`;

/** A client as /api/v5/clients answers it (the fields printed). */
interface ApiClient {
  clientid: string;
  username: string | null;
  ip_address: string | null;
  port: number | null;
  proto_ver: number;
  clean_start: boolean;
  keepalive: number;
  expiry_interval: number;
  subscriptions_cnt: number;
  inflight_cnt: number;
  mqueue_len: number;
  mqueue_dropped: number;
  awaiting_rel_cnt: number;
  connected: boolean;
  created_at: string;
  connected_at: string | null;
  disconnected_at?: string;
}

interface ApiSubscription {
  clientid: string;
  topic: string;
  qos: number;
  nl: number;
  rap: number;
  rh: number;
}

/** EMQX's `Client(id, key=value, ...)` line. */
function describeClient(client: ApiClient): string {
  const fields: Array<[string, unknown]> = [
    ['username', client.username ?? 'undefined'],
    ['peername', client.ip_address === null ? 'undefined' : `${client.ip_address}:${client.port ?? 0}`],
    ['proto_ver', client.proto_ver],
    ['clean_start', client.clean_start],
    ['keepalive', client.keepalive],
    ['session_expiry_interval', client.expiry_interval],
    ['subscriptions', client.subscriptions_cnt],
    ['inflight', client.inflight_cnt],
    ['awaiting_rel', client.awaiting_rel_cnt],
    ['enqueued_msgs', client.mqueue_len],
    ['dropped_msgs', client.mqueue_dropped],
    ['connected', client.connected],
    ['created_at', client.created_at],
    ['connected_at', client.connected_at ?? 'undefined'],
  ];
  if (client.disconnected_at !== undefined) fields.push(['disconnected_at', client.disconnected_at]);
  return `Client(${client.clientid}, ${fields.map(([name, value]) => `${name}=${String(value)}`).join(', ')})`;
}

export function clientsCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  switch (action) {
    case 'list':
      onlyFlags(flags, ['json', 'page', 'limit'], 'ctl clients list');
      checkArguments(args, 0, 'clients list takes no arguments');
      return { request: { method: 'GET', path: `/api/v5/clients?${pageQuery(flags)}` }, print: (body) => printPage(body as PageAnswer<ApiClient>, flags, describeClient) };
    case 'show': {
      onlyFlags(flags, ['json'], 'ctl clients show');
      checkArguments(args, 1, 'clients show takes one CLIENTID');
      return {
        request: { method: 'GET', path: `/api/v5/clients/${encodeURIComponent(args[0]!)}` },
        print: (body) => (flags['json'] === true ? `${JSON.stringify(body)}\n` : `${describeClient(body as ApiClient)}\n`),
      };
    }
    case 'kick':
      onlyFlags(flags, [], 'ctl clients kick');
      checkArguments(args, 1, 'clients kick takes one CLIENTID');
      return { request: { method: 'DELETE', path: `/api/v5/clients/${encodeURIComponent(args[0]!)}` }, print: () => 'ok\n' };
    default:
      throw new UsageError(action === undefined ? 'missing action: list, show or kick' : `unknown action "${action}" (expected: list, show, kick)`, 'starling ctl');
  }
}

export function subscriptionsCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  onlyFlags(flags, ['json', 'page', 'limit', 'clientid'], 'ctl subscriptions list');
  if (action !== 'list') throw new UsageError(action === undefined ? 'missing action: list' : `unknown action "${action}" (expected: list)`, 'starling ctl');
  checkArguments(args, 0, 'subscriptions list takes no arguments (--clientid ID for one client)');
  const clientId = flags['clientid'];
  const filter = typeof clientId === 'string' ? `&clientid=${encodeURIComponent(clientId)}` : '';
  return {
    request: { method: 'GET', path: `/api/v5/subscriptions?${pageQuery(flags)}${filter}` },
    // emqx ctl subscriptions list: `c1 -> topic:t/1 qos:0 nl:0 rap:0 rh:0`
    print: (body) => printPage(body as PageAnswer<ApiSubscription>, flags, (s) => `${s.clientid} -> topic:${s.topic} qos:${s.qos} nl:${s.nl} rap:${s.rap} rh:${s.rh}`),
  };
}

export function topicsCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  onlyFlags(flags, ['json', 'page', 'limit'], 'ctl topics list');
  if (action !== 'list') throw new UsageError(action === undefined ? 'missing action: list' : `unknown action "${action}" (expected: list)`, 'starling ctl');
  checkArguments(args, 0, 'topics list takes no arguments');
  return {
    request: { method: 'GET', path: `/api/v5/topics?${pageQuery(flags)}` },
    print: (body) => printPage(body as PageAnswer<{ topic: string; node: string }>, flags, (row) => `${row.topic} -> ${row.node}`),
  };
}
