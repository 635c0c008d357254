// Bans by client id, username, address or address range: add (with an expiry), lift. A new ban
// disconnects the connected clients it matches.

import { useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { ConfirmButton, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable, Pager } from '../components/table.js';
import { dateTime } from '../format.js';
import { useRequest } from '../hooks.js';

type BanKind = 'clientid' | 'username' | 'peerhost' | 'peerhost_net';

interface Ban {
  as: BanKind;
  who: string;
  by: string;
  reason: string;
  at: string;
  until: string;
}

const KIND_LABELS: Record<BanKind, string> = { clientid: 'Client id', username: 'Username', peerhost: 'Address', peerhost_net: 'Address range (CIDR)' };
const EXPIRIES = [
  { label: '1 hour', seconds: 3_600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: 'Never', seconds: 0 },
] as const;

export function BansPage() {
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(50);
  const bans = useRequest((signal) => api.get<Page<Ban>>('/banned', { page, limit }, signal), [page, limit]);
  return (
    <>
      <PageHeader title="Bans" />
      <p class="lead">A banned client id, username or address cannot connect; clients it matches that are connected now are disconnected (MQTT 5: DISCONNECT 0x98, administrative action) without their will.</p>
      <AddBan onAdded={bans.reload} />
      <ErrorNotice error={bans.error} />
      <DataTable
        caption="Bans"
        rows={bans.data?.data}
        rowKey={(ban) => `${ban.as}:${ban.who}`}
        loading={bans.loading}
        empty="Nobody is banned."
        columns={[
          { key: 'as', label: 'Kind', render: (ban) => KIND_LABELS[ban.as] ?? ban.as },
          { key: 'who', label: 'Who', render: (ban) => <code>{ban.who}</code> },
          { key: 'reason', label: 'Reason', render: (ban) => ban.reason || '–' },
          { key: 'by', label: 'By' },
          { key: 'at', label: 'Since', render: (ban) => dateTime(ban.at) },
          { key: 'until', label: 'Until', render: (ban) => dateTime(ban.until) },
          {
            key: 'actions',
            label: 'Actions',
            render: (ban) => (
              <ConfirmButton label="Lift" ariaLabel={`Lift the ban on ${ban.who}`} kind="primary" question={`Lift the ban on ${ban.who}?`} confirmLabel="Lift ban" onConfirm={async () => { await api.delete(`/banned/${ban.as}/${segment(ban.who)}`); bans.reload(); }} />
            ),
          },
        ]}
      />
      {bans.data !== undefined ? <Pager page={page} limit={limit} hasnext={bans.data.meta.hasnext ?? false} total={bans.data.meta.count} onPage={setPage} onLimit={(value) => { setLimit(value); setPage(1); }} /> : null}
    </>
  );
}

function AddBan({ onAdded }: { onAdded: () => void }) {
  const [kind, setKind] = useState<BanKind>('clientid');
  const [who, setWho] = useState('');
  const [reason, setReason] = useState('');
  const [expiry, setExpiry] = useState<number>(3_600);
  const action = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const until = expiry === 0 ? 'infinity' : new Date(Date.now() + expiry * 1000).toISOString();
    if (await action.run(() => api.post('/banned', { as: kind, who: who.trim(), until, ...(reason.trim() === '' ? {} : { reason: reason.trim() }) }))) {
      setWho('');
      setReason('');
      onAdded();
    }
  };
  return (
    <form class="card form-grid" onSubmit={(event) => void submit(event)} aria-label="Ban">
      <h2>Ban</h2>
      <ErrorNotice error={action.error} />
      <Field label="Kind">
        <select value={kind} onChange={(event) => setKind(inputValue(event) as BanKind)}>
          {(Object.keys(KIND_LABELS) as BanKind[]).map((value) => (
            <option key={value} value={value}>
              {KIND_LABELS[value]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Who">
        <input required value={who} placeholder={kind === 'peerhost_net' ? '10.0.0.0/8' : kind === 'peerhost' ? '192.0.2.7' : ''} onInput={(event) => setWho(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Reason">
        <input value={reason} onInput={(event) => setReason(inputValue(event))} />
      </Field>
      <Field label="For">
        <select value={String(expiry)} onChange={(event) => setExpiry(Number(inputValue(event)))}>
          {EXPIRIES.map((option) => (
            <option key={option.label} value={String(option.seconds)}>
              {option.label}
            </option>
          ))}
        </select>
      </Field>
      <div class="actions">
        <WriteButton type="submit" kind="danger" disabled={action.busy}>
          Ban
        </WriteButton>
      </div>
    </form>
  );
}
