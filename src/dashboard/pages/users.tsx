// Built-in MQTT users (EMQX's password_based:built_in_database): list and search, add, change a
// password or the superuser flag, delete.

import { useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { checked, ConfirmButton, Dialog, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable, Pager } from '../components/table.js';
import { useDebounced, useRequest } from '../hooks.js';

const USERS = '/authentication/password_based:built_in_database/users';

interface MqttUser {
  user_id: string;
  is_superuser: boolean;
  client_id?: string;
}

export function UsersPage() {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(50);
  const like = useDebounced(search.trim(), 250);
  const users = useRequest((signal) => api.get<Page<MqttUser>>(USERS, { page, limit, like_user_id: like }, signal), [page, limit, like]);
  const [editing, setEditing] = useState<MqttUser | undefined>(undefined);

  return (
    <>
      <PageHeader title="MQTT users" />
      <p class="lead">Usernames and passwords that MQTT clients log in with (the built-in authenticator). Passwords are stored hashed and never shown.</p>
      <AddUser onAdded={users.reload} />
      <div class="toolbar">
        <label class="field inline">
          <span class="field-label">Search</span>
          <input type="search" placeholder="part of a username" value={search} onInput={(event) => { setSearch(inputValue(event)); setPage(1); }} />
        </label>
      </div>
      <ErrorNotice error={users.error} />
      <DataTable
        caption="MQTT users"
        rows={users.data?.data}
        rowKey={(user) => user.user_id}
        loading={users.loading}
        empty={like === '' ? 'No MQTT users yet.' : `No user matches “${like}”.`}
        columns={[
          { key: 'user_id', label: 'Username' },
          { key: 'is_superuser', label: 'Superuser', render: (user) => (user.is_superuser ? 'yes' : 'no') },
          { key: 'client_id', label: 'Bound client id', render: (user) => user.client_id ?? '–' },
          {
            key: 'actions',
            label: 'Actions',
            render: (user) => (
              <div class="row-actions">
                <WriteButton onClick={() => setEditing(user)} aria-label={`Edit ${user.user_id}`}>
                  Edit
                </WriteButton>
                <ConfirmButton label="Delete" ariaLabel={`Delete ${user.user_id}`} question={`Delete MQTT user ${user.user_id}?`} detail="Clients already connected stay connected; new logins with it fail." confirmLabel="Delete" onConfirm={async () => { await api.delete(`${USERS}/${segment(user.user_id)}`); users.reload(); }} />
              </div>
            ),
          },
        ]}
      />
      {users.data !== undefined ? <Pager page={page} limit={limit} hasnext={users.data.meta.hasnext} total={users.data.meta.count} onPage={setPage} onLimit={(value) => { setLimit(value); setPage(1); }} /> : null}
      {editing !== undefined ? <EditUser user={editing} onDone={() => { setEditing(undefined); users.reload(); }} /> : null}
    </>
  );
}

function AddUser({ onAdded }: { onAdded: () => void }) {
  const [userId, setUserId] = useState('');
  const [password, setPassword] = useState('');
  const [superuser, setSuperuser] = useState(false);
  const [clientId, setClientId] = useState('');
  const action = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body = { user_id: userId.trim(), password, is_superuser: superuser, ...(clientId.trim() === '' ? {} : { client_id: clientId.trim() }) };
    if (await action.run(() => api.post(USERS, body))) {
      setUserId('');
      setPassword('');
      setSuperuser(false);
      setClientId('');
      onAdded();
    }
  };
  return (
    <form class="card form-grid" onSubmit={(event) => void submit(event)} aria-label="Add an MQTT user">
      <h2>Add a user</h2>
      <ErrorNotice error={action.error} />
      <Field label="Username">
        <input name="user_id" required value={userId} onInput={(event) => setUserId(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Password" hint="At least 8 characters.">
        <input name="password" type="password" required value={password} onInput={(event) => setPassword(inputValue(event))} autoComplete="new-password" />
      </Field>
      <Field label="Bound client id" hint="Optional: the only client id it may use.">
        <input name="client_id" value={clientId} onInput={(event) => setClientId(inputValue(event))} autoComplete="off" />
      </Field>
      <label class="check">
        <input type="checkbox" name="is_superuser" checked={superuser} onChange={(event) => setSuperuser(checked(event))} /> Superuser (ACL rules do not apply)
      </label>
      <div class="actions">
        <WriteButton type="submit" kind="primary" disabled={action.busy}>
          Add user
        </WriteButton>
      </div>
    </form>
  );
}

function EditUser({ user, onDone }: { user: MqttUser; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [superuser, setSuperuser] = useState(user.is_superuser);
  const action = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body = { is_superuser: superuser, ...(password === '' ? {} : { password }) };
    if (await action.run(() => api.put(`${USERS}/${segment(user.user_id)}`, body))) onDone();
  };
  return (
    <Dialog title={`Edit ${user.user_id}`} open onClose={onDone}>
      <form onSubmit={(event) => void submit(event)}>
        <ErrorNotice error={action.error} />
        <Field label="New password" hint="Leave empty to keep the current one.">
          <input type="password" value={password} onInput={(event) => setPassword(inputValue(event))} autoComplete="new-password" />
        </Field>
        <label class="check">
          <input type="checkbox" checked={superuser} onChange={(event) => setSuperuser(checked(event))} /> Superuser
        </label>
        <div class="actions">
          <button type="button" class="button plain" onClick={onDone}>
            Cancel
          </button>
          <WriteButton type="submit" kind="primary" disabled={action.busy}>
            Save
          </WriteButton>
        </div>
      </form>
    </Dialog>
  );
}
