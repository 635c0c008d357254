// Every subscription on the broker (GET /api/v5/subscriptions), paged by the server and filtered by
// client id, exact filter, the filters a topic matches, QoS or shared group.

import { useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { inputValue } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable, Pager } from '../components/table.js';
import { useDebounced, useRequest } from '../hooks.js';
import { location, searchOf } from '../router.js';
import { useStore } from '../store.js';

export interface SubscriptionRow {
  clientid: string;
  topic: string;
  qos: number;
  nl?: number;
  rap?: number;
  rh?: number;
  node?: string;
}

type FilterField = 'clientid' | 'topic' | 'match_topic' | 'share_group';

const FILTER_LABELS: Record<FilterField, string> = {
  clientid: 'client id (exact)',
  topic: 'topic filter (exact)',
  match_topic: 'filters matching a topic',
  share_group: 'shared group',
};

export function SubscriptionsPage() {
  const initial = searchOf(useStore(location));
  const [field, setField] = useState<FilterField>((initial.get('field') as FilterField | null) ?? 'clientid');
  const [typed, setTyped] = useState(initial.get('q') ?? '');
  const [qos, setQos] = useState('');
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(50);
  const value = useDebounced(typed.trim(), 250);
  const rows = useRequest((signal) => api.get<Page<SubscriptionRow>>('/subscriptions', { page, limit, [field]: value, qos }, signal), [page, limit, field, value, qos], { every: 10_000 });
  return (
    <>
      <PageHeader title="Subscriptions" />
      <SubscriptionFilters field={field} typed={typed} qos={qos} onField={(next) => { setField(next); setPage(1); }} onTyped={(next) => { setTyped(next); setPage(1); }} onQos={(next) => { setQos(next); setPage(1); }} />
      <ErrorNotice error={rows.error} />
      <SubscriptionTable rows={rows.data?.data} loading={rows.loading} />
      {rows.data !== undefined ? <Pager page={page} limit={limit} hasnext={rows.data.meta.hasnext} total={rows.data.meta.count} onPage={setPage} onLimit={(next) => { setLimit(next); setPage(1); }} /> : null}
    </>
  );
}

function SubscriptionFilters(props: { field: FilterField; typed: string; qos: string; onField: (field: FilterField) => void; onTyped: (text: string) => void; onQos: (qos: string) => void }) {
  return (
    <form class="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
      <label class="field inline">
        <span class="field-label">Filter by</span>
        <select value={props.field} onChange={(event) => props.onField(inputValue(event) as FilterField)}>
          {(Object.keys(FILTER_LABELS) as FilterField[]).map((key) => (
            <option key={key} value={key}>
              {FILTER_LABELS[key]}
            </option>
          ))}
        </select>
      </label>
      <label class="field inline">
        <span class="visually-hidden">Value</span>
        <input type="search" value={props.typed} onInput={(event) => props.onTyped(inputValue(event))} placeholder={props.field === 'match_topic' ? 'sensors/+/temperature' : ''} />
      </label>
      <label class="field inline">
        <span class="field-label">QoS</span>
        <select value={props.qos} onChange={(event) => props.onQos(inputValue(event))}>
          <option value="">any</option>
          <option value="0">0</option>
          <option value="1">1</option>
          <option value="2">2</option>
        </select>
      </label>
    </form>
  );
}

export function SubscriptionTable({ rows, loading }: { rows: SubscriptionRow[] | undefined; loading: boolean }) {
  return (
    <DataTable
      caption="Subscriptions"
      rows={rows}
      loading={loading}
      rowKey={(row) => `${row.clientid} ${row.topic}`}
      empty="No subscriptions match."
      columns={[
        { key: 'clientid', label: 'Client id', render: (row) => <a href={`/clients/${segment(row.clientid)}`}>{row.clientid}</a> },
        { key: 'topic', label: 'Topic filter', render: (row) => <code>{row.topic}</code> },
        { key: 'qos', label: 'QoS', numeric: true },
        { key: 'nl', label: 'No local', render: (row) => (row.nl === 1 ? 'yes' : 'no') },
        { key: 'rap', label: 'Retain as published', render: (row) => (row.rap === 1 ? 'yes' : 'no') },
        { key: 'rh', label: 'Retain handling', numeric: true, render: (row) => String(row.rh ?? 0) },
      ]}
    />
  );
}
