// API keys for scripts and Prometheus (HTTP basic auth key:secret): make one (the secret is shown
// once), enable or disable, delete.

import { useState } from 'preact/hooks';
import { api, segment } from '../api.js';
import { checked, ConfirmButton, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { dateTime } from '../format.js';
import { useRequest } from '../hooks.js';

interface ApiKey {
  name: string;
  api_key: string;
  desc: string;
  enable: boolean;
  expired_at: string;
  expired: boolean;
  created_at: string;
  role: 'administrator' | 'viewer';
}

export function ApiKeysPage() {
  const keys = useRequest(() => api.get<ApiKey[]>('/api_key'), []);
  const toggling = useAction();
  const [made, setMade] = useState<{ key: string; secret: string } | undefined>(undefined);
  return (
    <>
      <PageHeader title="API keys" />
      <p class="lead">
        Credentials for scripts: <code>curl -u KEY:SECRET http://host:18083/api/v5/…</code>. A viewer key may only read (a Prometheus scraper needs no more).
      </p>
      <AddKey onMade={(key, secret) => { setMade({ key, secret }); keys.reload(); }} />
      {made !== undefined ? (
        <Note kind="success">
          Key <code>{made.key}</code>, secret <code class="secret">{made.secret}</code>: copy the secret now, it is not shown again.
        </Note>
      ) : null}
      <ErrorNotice error={keys.error ?? toggling.error} />
      <DataTable
        caption="API keys"
        rows={keys.data}
        rowKey={(key) => key.name}
        loading={keys.loading}
        empty="No API keys."
        columns={[
          { key: 'name', label: 'Name' },
          { key: 'api_key', label: 'Key', render: (key) => <code>{key.api_key}</code> },
          { key: 'role', label: 'Role', render: (key) => <span class={`badge ${key.role}`}>{key.role}</span> },
          { key: 'desc', label: 'Description', render: (key) => key.desc || '–' },
          { key: 'state', label: 'State', render: (key) => (key.expired ? 'expired' : key.enable ? 'enabled' : 'disabled') },
          { key: 'expired_at', label: 'Expires', render: (key) => dateTime(key.expired_at) },
          {
            key: 'actions',
            label: 'Actions',
            render: (key) => (
              <div class="row-actions">
                <WriteButton onClick={() => void toggling.run(async () => { await api.put(`/api_key/${segment(key.name)}`, { enable: !key.enable }); keys.reload(); })} aria-label={`${key.enable ? 'Disable' : 'Enable'} ${key.name}`}>
                  {key.enable ? 'Disable' : 'Enable'}
                </WriteButton>
                <ConfirmButton label="Delete" ariaLabel={`Delete ${key.name}`} question={`Delete API key ${key.name}?`} detail="Scripts using it are refused at once." confirmLabel="Delete" onConfirm={async () => { await api.delete(`/api_key/${segment(key.name)}`); keys.reload(); }} />
              </div>
            ),
          },
        ]}
      />
    </>
  );
}

function AddKey({ onMade }: { onMade: (key: string, secret: string) => void }) {
  const [name, setName] = useState('');
  const [desc, setDesc] = useState('');
  const [role, setRole] = useState<'administrator' | 'viewer'>('viewer');
  const [expires, setExpires] = useState('');
  const [enable, setEnable] = useState(true);
  const action = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body = { name: name.trim(), desc, role, enable, expired_at: expires === '' ? 'infinity' : new Date(expires).toISOString() };
    await action.run(async () => {
      const answer = await api.post<ApiKey & { api_secret: string }>('/api_key', body);
      setName('');
      setDesc('');
      onMade(answer.api_key, answer.api_secret);
    });
  };
  return (
    <form class="card form-grid" onSubmit={(event) => void submit(event)} aria-label="Make an API key">
      <h2>Make an API key</h2>
      <ErrorNotice error={action.error} />
      <Field label="Name">
        <input required value={name} pattern="[A-Za-z][A-Za-z0-9_\-]*" onInput={(event) => setName(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Role">
        <select value={role} onChange={(event) => setRole(inputValue(event) as 'administrator' | 'viewer')}>
          <option value="viewer">viewer (read only)</option>
          <option value="administrator">administrator</option>
        </select>
      </Field>
      <Field label="Description">
        <input value={desc} onInput={(event) => setDesc(inputValue(event))} />
      </Field>
      <Field label="Expires" hint="Empty: never.">
        <input type="datetime-local" value={expires} onInput={(event) => setExpires(inputValue(event))} />
      </Field>
      <label class="check">
        <input type="checkbox" checked={enable} onChange={(event) => setEnable(checked(event))} /> Enabled
      </label>
      <div class="actions">
        <WriteButton type="submit" kind="primary" disabled={action.busy}>
          Make key
        </WriteButton>
      </div>
    </form>
  );
}
