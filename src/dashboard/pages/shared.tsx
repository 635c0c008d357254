// Shared subscription groups ($share/<group>/<filter>) from GET /api/v5/shared_groups: each group and
// filter with its members (in client id order, a persistent member that is away marked), searched and
// paged by the broker; the search and page are in the address bar.

import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { Field, inputValue } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { Pager } from '../components/table.js';
import { count } from '../format.js';
import { useDebounced, useRequest } from '../hooks.js';
import { location, navigate, searchOf } from '../router.js';
import { useStore } from '../store.js';

interface SharedGroup {
  group: string;
  topic: string;
  node: string;
  members_count: number;
  members: Array<{ clientid: string; qos: number; connected: boolean }>;
}

const LIMIT = 50;

export function SharedGroupsPage() {
  const params = searchOf(useStore(location));
  const search = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const [typed, setTyped] = useState(search);
  const settled = useDebounced(typed.trim(), 250);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const show = (q: string, nextPage: number): void => {
    const query = new URLSearchParams();
    if (q !== '') query.set('q', q);
    if (nextPage !== 1) query.set('page', String(nextPage));
    navigate(`/shared${query.size === 0 ? '' : `?${query.toString()}`}`, { replace: true });
  };
  useEffect(() => {
    if (settled !== search) show(settled, 1);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settled]);
  const groups = useRequest((signal) => api.get<Page<SharedGroup>>('/shared_groups', { page, limit: LIMIT, like_group: search }, signal), [page, search], { every: 10_000 });
  const keyOf = (entry: SharedGroup): string => `${entry.group}/${entry.topic}`;
  return (
    <>
      <PageHeader title="Shared groups" />
      <p class="lead">
        Clients subscribed to <code>$share/&lt;group&gt;/&lt;filter&gt;</code> share that filter's messages: each message goes to one member of the group.
      </p>
      <form class="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Group name contains">
          <input type="search" value={typed} onInput={(event) => setTyped(inputValue(event))} />
        </Field>
      </form>
      <ErrorNotice error={groups.error} />
      <div class="table-wrap" aria-busy={groups.loading}>
        <table>
          <caption class="visually-hidden">Shared groups</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Topic filter</th>
              <th scope="col" class="numeric">
                Members
              </th>
              <th scope="col" class="numeric">
                Connected
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.data === undefined ? (
              <tr>
                <td colSpan={4} class="empty">
                  {groups.loading ? 'Loading…' : 'Not available.'}
                </td>
              </tr>
            ) : groups.data.data.length === 0 ? (
              <tr>
                <td colSpan={4} class="empty">
                  {search === '' ? 'No shared subscriptions.' : 'No group matches.'}
                </td>
              </tr>
            ) : (
              groups.data.data.map((entry) => (
                <Fragment key={keyOf(entry)}>
                  <tr>
                    <td data-label="Group">
                      <button type="button" class="link" aria-expanded={open === keyOf(entry)} onClick={() => setOpen(open === keyOf(entry) ? undefined : keyOf(entry))}>
                        {entry.group}
                      </button>
                    </td>
                    <td data-label="Topic filter">
                      <code>{entry.topic}</code>
                    </td>
                    <td class="numeric" data-label="Members">
                      {count(entry.members_count)}
                    </td>
                    <td class="numeric" data-label="Connected">
                      {count(entry.members.filter((member) => member.connected).length)}
                    </td>
                  </tr>
                  {open === keyOf(entry) ? (
                    <tr class="detail-row">
                      <td colSpan={4}>
                        <ul class="members" aria-label={`Members of ${entry.group} on ${entry.topic}`}>
                          {entry.members.map((member) => (
                            <li key={member.clientid}>
                              <a href={`/clients/${segment(member.clientid)}`}>{member.clientid}</a> <span class="muted">QoS {member.qos}</span> {member.connected ? <span class="badge good">connected</span> : <span class="badge">away</span>}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))
            )}
          </tbody>
        </table>
      </div>
      {groups.data !== undefined ? <Pager page={page} limit={LIMIT} hasnext={groups.data.meta.hasnext} total={groups.data.meta.count} onPage={(next) => show(search, next)} /> : null}
    </>
  );
}
