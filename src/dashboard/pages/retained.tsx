// Retained messages (GET /api/v5/mqtt/retainer/messages): browse by topic filter, open one to read
// its payload as text, JSON or hex, delete one or all.

import { useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { ConfirmButton, Dialog, inputValue } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { base64ToBytes, PayloadView } from '../components/payload.js';
import { DataTable, Pager } from '../components/table.js';
import { dateTime } from '../format.js';
import { useDebounced, useRequest } from '../hooks.js';

interface RetainedSummary {
  topic: string;
  qos: number;
  publish_at: string;
  from_clientid?: string;
  from_username?: string;
  msgid?: string;
}

interface RetainedMessage extends RetainedSummary {
  payload?: string;
}

/** The topic as one path segment; EMQX reads it as a filter, so a name with no wildcard is itself. */
function messagePath(topic: string): string {
  return `/mqtt/retainer/message/${segment(topic)}`;
}

export function RetainedPage() {
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(50);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const topic = useDebounced(typed.trim(), 250);
  const rows = useRequest((signal) => api.get<Page<RetainedSummary>>('/mqtt/retainer/messages', { page, limit, topic }, signal), [page, limit, topic], { every: 10_000 });
  return (
    <>
      <PageHeader title="Retained messages">
        <ConfirmButton label="Delete all" question="Delete every retained message?" detail="New subscribers get no retained message until publishers send new ones." confirmLabel="Delete all" onConfirm={async () => { await api.delete('/mqtt/retainer/messages'); rows.reload(); }} />
      </PageHeader>
      <form class="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
        <label class="field inline">
          <span class="field-label">Topic filter</span>
          <input type="search" value={typed} placeholder="sensors/#" onInput={(event) => { setTyped(inputValue(event)); setPage(1); }} />
        </label>
      </form>
      <ErrorNotice error={rows.error} />
      <DataTable
        caption="Retained messages"
        rows={rows.data?.data}
        loading={rows.loading}
        rowKey={(row) => row.topic}
        empty="No retained messages."
        columns={[
          { key: 'topic', label: 'Topic', render: (row) => <button type="button" class="link" onClick={() => setOpen(row.topic)} aria-label={`View ${row.topic}`}><code>{row.topic}</code></button> },
          { key: 'qos', label: 'QoS', numeric: true },
          { key: 'from_clientid', label: 'From', render: (row) => row.from_clientid ?? '–' },
          { key: 'publish_at', label: 'Published', render: (row) => dateTime(row.publish_at) },
          {
            key: 'actions',
            label: 'Actions',
            render: (row) => (
              <div class="row-actions">
                <button type="button" class="button plain" onClick={() => setOpen(row.topic)}>
                  View
                </button>
                <ConfirmButton label="Delete" ariaLabel={`Delete the retained message on ${row.topic}`} question={`Delete the retained message on ${row.topic}?`} confirmLabel="Delete" onConfirm={async () => { await api.delete(messagePath(row.topic)); rows.reload(); }} />
              </div>
            ),
          },
        ]}
      />
      {rows.data !== undefined ? <Pager page={page} limit={limit} hasnext={rows.data.meta.hasnext} total={rows.data.meta.count} onPage={setPage} onLimit={(next) => { setLimit(next); setPage(1); }} /> : null}
      {open !== undefined ? <RetainedView topic={open} onClose={() => setOpen(undefined)} /> : null}
    </>
  );
}

function RetainedView({ topic, onClose }: { topic: string; onClose: () => void }) {
  const message = useRequest(() => api.get<RetainedMessage>(messagePath(topic)), [topic]);
  const data = message.data;
  return (
    <Dialog title={`Retained on ${topic}`} open onClose={onClose}>
      <ErrorNotice error={message.error} />
      {data !== undefined ? (
        <>
          <dl class="facts">
            <dt>QoS</dt>
            <dd>{data.qos}</dd>
            <dt>From</dt>
            <dd>
              {data.from_clientid ?? '–'}
              {data.from_username ? ` (${data.from_username})` : ''}
            </dd>
            <dt>Published</dt>
            <dd>{dateTime(data.publish_at)}</dd>
          </dl>
          {data.payload !== undefined ? <PayloadView bytes={base64ToBytes(data.payload)} /> : <p class="hint">The payload is too large to show here.</p>}
        </>
      ) : null}
      <div class="actions">
        <button type="button" class="button plain" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
