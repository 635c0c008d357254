// Shared subscription groups ($share/<group>/<filter>): the members of a group, by filter.

import { useState } from 'preact/hooks';
import { api, type Page } from '../api.js';
import { Field, inputValue } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable, Pager } from '../components/table.js';
import { useDebounced, useRequest } from '../hooks.js';
import { SubscriptionTable, type SubscriptionRow } from './subscriptions.js';

interface TopicRow {
  topic: string;
}

/** `$share/g/a/b` → {group: 'g', filter: 'a/b'}. */
function parseShared(topic: string): { group: string; filter: string } | undefined {
  if (!topic.startsWith('$share/')) return undefined;
  const rest = topic.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? undefined : { group: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

export function SharedGroupsPage() {
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(1);
  const group = useDebounced(typed.trim(), 250);
  // Shared groups are topics named $share/<group>/<filter>, which sort first in the (sorted) topic list.
  const routes = useRequest((signal) => api.get<Page<TopicRow>>('/topics', { page: 1, limit: 1000 }, signal), [], { every: 10_000 });
  const members = useRequest((signal) => (group === '' ? Promise.resolve(undefined) : api.get<Page<SubscriptionRow>>('/subscriptions', { share_group: group, page, limit: 100 }, signal)), [group, page]);
  const groups = (routes.data?.data ?? []).map((row) => parseShared(row.topic)).filter((entry) => entry !== undefined);
  return (
    <>
      <PageHeader title="Shared groups" />
      <p class="lead">
        Clients subscribed to <code>$share/&lt;group&gt;/&lt;filter&gt;</code> share that filter's messages: each message goes to one member of the group.
      </p>
      <ErrorNotice error={routes.error} />
      <DataTable
        caption="Shared groups"
        rows={routes.data === undefined ? undefined : groups}
          loading={routes.loading}
        rowKey={(entry) => `${entry.group}/${entry.filter}`}
        empty="No shared subscriptions."
        columns={[
          { key: 'group', label: 'Group', render: (entry) => <button type="button" class="link" onClick={() => { setTyped(entry.group); setPage(1); }}>{entry.group}</button> },
          { key: 'filter', label: 'Topic filter', render: (entry) => <code>{entry.filter}</code> },
        ]}
      />
      {routes.data?.meta.hasnext === true && groups.length === routes.data.data.length ? <Note kind="warning">The first 1,000 are listed; look a group up by name below.</Note> : null}
      <h2>Members</h2>
      <form class="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Group">
          <input type="search" value={typed} onInput={(event) => { setTyped(inputValue(event)); setPage(1); }} />
        </Field>
      </form>
      <ErrorNotice error={members.error} />
      {group !== '' ? <SubscriptionTable rows={members.data?.data} loading={members.loading} /> : <p class="hint">Pick a group to see its members.</p>}
      {members.data !== undefined ? <Pager page={page} limit={100} hasnext={members.data.meta.hasnext} total={members.data.meta.count} onPage={setPage} /> : null}
    </>
  );
}
