// Clients as GET /api/v5/clients answers them (EMQX's fields), and the query the clients page sends.

export interface Client {
  clientid: string;
  username: string | null;
  /** null for a session loaded from the store and not connected since. */
  ip_address: string | null;
  port: number | null;
  proto_ver: number;
  proto_name?: string;
  clean_start: boolean;
  keepalive: number;
  expiry_interval: number;
  connected: boolean;
  connected_at: string | null;
  created_at: string;
  disconnected_at?: string;
  listener?: string;
  subscriptions_cnt: number;
  subscriptions_max?: number | string;
  inflight_cnt: number;
  inflight_max?: number;
  mqueue_len: number;
  mqueue_max?: number;
  mqueue_dropped: number;
  awaiting_rel_cnt?: number;
  recv_msg?: number;
  send_msg?: number;
  recv_oct?: number;
  send_oct?: number;
  [field: string]: unknown;
}

export type ClientSearchField = 'clientid' | 'username' | 'ip_address';

/** Query fields by what is searched: substrings of ids and usernames, an exact address. */
export const SEARCH_PARAMETER: Record<ClientSearchField, string> = { clientid: 'like_clientid', username: 'like_username', ip_address: 'ip_address' };

/** Columns the server can sort by, and the query that asks it to. */
export const SORTABLE = ['clientid', 'username', 'ip_address', 'proto_ver', 'keepalive', 'connected_at', 'created_at', 'inflight_cnt', 'mqueue_len', 'mqueue_dropped', 'subscriptions_cnt'] as const;

export function sortQuery(key: string, order: 'asc' | 'desc'): Record<string, string> {
  return { order_by: key, order };
}
