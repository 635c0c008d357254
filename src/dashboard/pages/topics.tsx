// The routing table: every topic filter with at least one subscriber (GET /api/v5/topics).

import { useState } from 'preact/hooks';
import { api, type Page } from '../api.js';
import { inputValue } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable, Pager } from '../components/table.js';
import { useDebounced, useRequest } from '../hooks.js';

interface TopicRow {
  topic: string;
  node?: string;
}

export function TopicsPage() {
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(50);
  const topic = useDebounced(typed.trim(), 250);
  const rows = useRequest((signal) => api.get<Page<TopicRow>>('/topics', { page, limit, topic }, signal), [page, limit, topic], { every: 10_000 });
  return (
    <>
      <PageHeader title="Topics" />
      <p class="lead">Topic filters that have subscribers, as the broker routes them (a shared group shows as <code>$share/group/filter</code>).</p>
      <form class="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
        <label class="field inline">
          <span class="field-label">Topic filter (exact)</span>
          <input type="search" value={typed} onInput={(event) => { setTyped(inputValue(event)); setPage(1); }} />
        </label>
      </form>
      <ErrorNotice error={rows.error} />
      <DataTable
        caption="Topics"
        rows={rows.data?.data}
        loading={rows.loading}
        rowKey={(row) => `${row.topic} ${row.node ?? ''}`}
        empty="No topic has subscribers."
        columns={[
          { key: 'topic', label: 'Topic filter', render: (row) => <a href={`/subscriptions?field=topic&q=${encodeURIComponent(row.topic)}`}><code>{row.topic}</code></a> },
          { key: 'node', label: 'Node', render: (row) => row.node ?? '–' },
        ]}
      />
      {rows.data !== undefined ? <Pager page={page} limit={limit} hasnext={rows.data.meta.hasnext} total={rows.data.meta.count} onPage={setPage} onLimit={(next) => { setLimit(next); setPage(1); }} /> : null}
    </>
  );
}
