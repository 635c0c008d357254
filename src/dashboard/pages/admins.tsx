// Administrators of the management plane (who may log in here): add, change role or description,
// reset a password, delete. Viewers may change only their own password.

import { useState } from 'preact/hooks';
import { api, segment } from '../api.js';
import { ConfirmButton, Dialog, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { dateTime } from '../format.js';
import { useRequest } from '../hooks.js';
import { session } from '../session.js';
import { useStore } from '../store.js';

interface Administrator {
  username: string;
  description: string;
  role: 'administrator' | 'viewer';
  created_at: number;
}

export function AdminsPage() {
  const admins = useRequest(() => api.get<Administrator[]>('/users'), []);
  const [editing, setEditing] = useState<Administrator | undefined>(undefined);
  const me = useStore(session)?.username;
  return (
    <>
      <PageHeader title="Administrators" />
      <p class="lead">Accounts of the dashboard and the management API (not MQTT users). A viewer reads everything and changes nothing.</p>
      <AddAdmin onAdded={admins.reload} />
      <OwnPassword />
      <ErrorNotice error={admins.error} />
      <DataTable
        caption="Administrators"
        rows={admins.data}
        rowKey={(admin) => admin.username}
        loading={admins.loading}
        columns={[
          { key: 'username', label: 'Username', render: (admin) => (admin.username === me ? `${admin.username} (you)` : admin.username) },
          { key: 'role', label: 'Role', render: (admin) => <span class={`badge ${admin.role}`}>{admin.role}</span> },
          { key: 'description', label: 'Description', render: (admin) => admin.description || '–' },
          { key: 'created_at', label: 'Created', render: (admin) => dateTime(admin.created_at) },
          {
            key: 'actions',
            label: 'Actions',
            render: (admin) => (
              <div class="row-actions">
                <WriteButton onClick={() => setEditing(admin)} aria-label={`Edit ${admin.username}`}>
                  Edit
                </WriteButton>
                <ConfirmButton label="Delete" ariaLabel={`Delete ${admin.username}`} question={`Delete administrator ${admin.username}?`} detail="Their logins end at once." confirmLabel="Delete" onConfirm={async () => { await api.delete(`/users/${segment(admin.username)}`); admins.reload(); }} />
              </div>
            ),
          },
        ]}
      />
      {editing !== undefined ? <EditAdmin admin={editing} onDone={() => { setEditing(undefined); admins.reload(); }} /> : null}
    </>
  );
}

function AddAdmin({ onAdded }: { onAdded: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [description, setDescription] = useState('');
  const [role, setRole] = useState<'administrator' | 'viewer'>('viewer');
  const action = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (await action.run(() => api.post('/users', { username: username.trim(), password, description, role }))) {
      setUsername('');
      setPassword('');
      setDescription('');
      onAdded();
    }
  };
  return (
    <form class="card form-grid" onSubmit={(event) => void submit(event)} aria-label="Add an administrator">
      <h2>Add an administrator</h2>
      <ErrorNotice error={action.error} />
      <Field label="Username" hint="Letters, digits and underscores.">
        <input required value={username} onInput={(event) => setUsername(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Password" hint="8 to 64 characters, at least two kinds of letters, digits and others.">
        <input type="password" required value={password} onInput={(event) => setPassword(inputValue(event))} autoComplete="new-password" />
      </Field>
      <Field label="Role">
        <select value={role} onChange={(event) => setRole(inputValue(event) as 'administrator' | 'viewer')}>
          <option value="viewer">viewer (read only)</option>
          <option value="administrator">administrator</option>
        </select>
      </Field>
      <Field label="Description">
        <input value={description} onInput={(event) => setDescription(inputValue(event))} />
      </Field>
      <div class="actions">
        <WriteButton type="submit" kind="primary" disabled={action.busy}>
          Add administrator
        </WriteButton>
      </div>
    </form>
  );
}

function EditAdmin({ admin, onDone }: { admin: Administrator; onDone: () => void }) {
  const [description, setDescription] = useState(admin.description);
  const [role, setRole] = useState(admin.role);
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const ok = await action.run(async () => {
      await api.put(`/users/${segment(admin.username)}`, { description, role });
      if (password !== '') await api.post(`/users/${segment(admin.username)}/change_pwd`, { new_pwd: password });
    });
    if (ok) onDone();
  };
  return (
    <Dialog title={`Edit ${admin.username}`} open onClose={onDone}>
      <form onSubmit={(event) => void submit(event)}>
        <ErrorNotice error={action.error} />
        <Field label="Role" hint="A new role ends their current logins.">
          <select value={role} onChange={(event) => setRole(inputValue(event) as 'administrator' | 'viewer')}>
            <option value="viewer">viewer</option>
            <option value="administrator">administrator</option>
          </select>
        </Field>
        <Field label="Description">
          <input value={description} onInput={(event) => setDescription(inputValue(event))} />
        </Field>
        <Field label="New password" hint="Leave empty to keep it.">
          <input type="password" value={password} onInput={(event) => setPassword(inputValue(event))} autoComplete="new-password" />
        </Field>
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

/** Anyone, a viewer too, may change their own password (with the old one); the login ends after it. */
function OwnPassword() {
  const me = useStore(session);
  const [oldPassword, setOldPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction();
  if (me === undefined) return null;
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (await action.run(() => api.post(`/users/${segment(me.username)}/change_pwd`, { old_pwd: oldPassword, new_pwd: newPassword }))) setDone(true);
  };
  return (
    <details class="card">
      <summary>Change your own password</summary>
      <form class="form-grid" onSubmit={(event) => void submit(event)}>
        <ErrorNotice error={action.error} />
        {done ? <Note kind="success">Password changed: log in again with the new one.</Note> : null}
        <Field label="Current password">
          <input type="password" required value={oldPassword} onInput={(event) => setOldPassword(inputValue(event))} autoComplete="current-password" />
        </Field>
        <Field label="New password">
          <input type="password" required value={newPassword} onInput={(event) => setNewPassword(inputValue(event))} autoComplete="new-password" />
        </Field>
        <div class="actions">
          <button type="submit" class="button primary" disabled={action.busy}>
            Change password
          </button>
        </div>
      </form>
    </details>
  );
}
