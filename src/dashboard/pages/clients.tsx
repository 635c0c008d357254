// Connected clients (and kept sessions): the server pages, filters and sorts (GET /api/v5/clients),
// so the page stays quick with 100,000 clients; the address bar keeps the search and page.

import { useEffect, useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { SEARCH_PARAMETER, SORTABLE, sortQuery, type Client, type ClientSearchField } from '../clients-api.js';
import { ConfirmButton, inputValue } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable, Pager, type Sort } from '../components/table.js';
import { count, dateTime, protocolName } from '../format.js';
import { useDebounced, useRequest } from '../hooks.js';
import { location, navigate, searchOf } from '../router.js';
import { useStore } from '../store.js';

const REFRESH_MS = 5_000;

function readState(route: string) {
  const params = searchOf(route);
  const field = (params.get('field') ?? 'clientid') as ClientSearchField;
  const order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const sortKey = params.get('sort');
  return {
    search: params.get('q') ?? '',
    field: field in SEARCH_PARAMETER ? field : 'clientid',
    state: params.get('state') ?? '',
    page: Math.max(1, Number(params.get('page') ?? '1') || 1),
    limit: Math.min(500, Math.max(1, Number(params.get('limit') ?? '50') || 50)),
    sort: sortKey === null ? undefined : ({ key: sortKey, order } as Sort),
  };
}

type State = ReturnType<typeof readState>;

function writeState(state: State): void {
  const params = new URLSearchParams();
  if (state.search !== '') params.set('q', state.search);
  if (state.field !== 'clientid') params.set('field', state.field);
  if (state.state !== '') params.set('state', state.state);
  if (state.page !== 1) params.set('page', String(state.page));
  if (state.limit !== 50) params.set('limit', String(state.limit));
  if (state.sort !== undefined) {
    params.set('sort', state.sort.key);
    params.set('order', state.sort.order);
  }
  const query = params.toString();
  navigate(`/clients${query === '' ? '' : `?${query}`}`, { replace: true });
}

export function ClientsPage() {
  const state = readState(useStore(location));
  const [typed, setTyped] = useState(state.search);
  const search = useDebounced(typed.trim(), 250);
  const change = (patch: Partial<State>): void => writeState({ ...state, ...patch });
  useEffect(() => {
    if (search !== state.search) change({ search, page: 1 });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  const clients = useRequest(
    (signal) =>
      api.get<Page<Client>>(
        '/clients',
        {
          page: state.page,
          limit: state.limit,
          [SEARCH_PARAMETER[state.field]]: state.search,
          conn_state: state.state,
          ...(state.sort === undefined ? {} : sortQuery(state.sort.key, state.sort.order)),
        },
        signal,
      ),
    [state.page, state.limit, state.field, state.search, state.state, state.sort?.key, state.sort?.order],
    { every: REFRESH_MS },
  );
  const sortable = (key: string): boolean => (SORTABLE as readonly string[]).includes(key);

  return (
    <>
      <PageHeader title="Clients">
        <button type="button" class="button plain" onClick={clients.reload}>
          Refresh
        </button>
      </PageHeader>
      <form class="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
        <label class="field inline">
          <span class="field-label">Search</span>
          <input type="search" name="search" value={typed} placeholder={state.field === 'ip_address' ? '192.0.2.7' : 'part of it'} onInput={(event) => setTyped(inputValue(event))} aria-describedby="search-hint" />
        </label>
        <label class="field inline">
          <span class="field-label">in</span>
          <select value={state.field} onChange={(event) => change({ field: inputValue(event) as ClientSearchField, page: 1 })}>
            <option value="clientid">client id</option>
            <option value="username">username</option>
            <option value="ip_address">address (exact)</option>
          </select>
        </label>
        <label class="field inline">
          <span class="field-label">Show</span>
          <select value={state.state} onChange={(event) => change({ state: inputValue(event), page: 1 })}>
            <option value="">all sessions</option>
            <option value="connected">connected</option>
            <option value="disconnected">disconnected (session kept)</option>
          </select>
        </label>
        <span id="search-hint" class="hint">
          The broker searches and pages; the list refreshes every {REFRESH_MS / 1000} s.
        </span>
      </form>
      <ErrorNotice error={clients.error} />
      <DataTable
        caption="Clients"
        rows={clients.data?.data}
        rowKey={(client) => client.clientid}
        loading={clients.loading}
        sort={state.sort}
        onSort={(sort) => change({ sort, page: 1 })}
        empty={state.search === '' ? 'No clients.' : `No client matches “${state.search}”.`}
        columns={[
          { key: 'clientid', label: 'Client id', sortable: sortable('clientid'), render: (client) => <a href={`/clients/${segment(client.clientid)}`}>{client.clientid}</a> },
          { key: 'username', label: 'Username', sortable: sortable('username'), render: (client) => client.username ?? '–' },
          { key: 'ip_address', label: 'Address', sortable: sortable('ip_address'), render: (client) => (client.ip_address === null ? '–' : `${client.ip_address}${client.port !== null ? `:${client.port}` : ''}`) },
          { key: 'proto_ver', label: 'Protocol', sortable: sortable('proto_ver'), render: (client) => protocolName(client.proto_ver) },
          { key: 'keepalive', label: 'Keep-alive', numeric: true, sortable: sortable('keepalive'), render: (client) => `${client.keepalive} s` },
          { key: 'connected_at', label: 'Connected at', sortable: sortable('connected_at'), render: (client) => (client.connected ? dateTime(client.connected_at) : <span class="muted">disconnected {dateTime(client.disconnected_at)}</span>) },
          { key: 'inflight_cnt', label: 'Inflight', numeric: true, sortable: sortable('inflight_cnt'), render: (client) => count(client.inflight_cnt) },
          { key: 'mqueue_len', label: 'Queued', numeric: true, sortable: sortable('mqueue_len'), render: (client) => count(client.mqueue_len) },
          { key: 'mqueue_dropped', label: 'Dropped', numeric: true, sortable: sortable('mqueue_dropped'), render: (client) => count(client.mqueue_dropped) },
          {
            key: 'actions',
            label: 'Actions',
            render: (client) => (
              <ConfirmButton
                label="Kick"
                ariaLabel={`Kick ${client.clientid}`}
                question={`Kick client ${client.clientid}?`}
                detail="It is disconnected (MQTT 5: reason 0x98, administrative action) and its session is discarded."
                confirmLabel="Kick"
                onConfirm={async () => {
                  await api.delete(`/clients/${segment(client.clientid)}`);
                  clients.reload();
                }}
              />
            ),
          },
        ]}
      />
      {clients.data !== undefined ? (
        <Pager page={state.page} limit={state.limit} hasnext={clients.data.meta.hasnext} total={clients.data.meta.count} onPage={(page) => change({ page })} onLimit={(limit) => change({ limit, page: 1 })} />
      ) : null}
    </>
  );
}
