// Starling's ordered ACL rules kept in the store: first match wins, so the order is the meaning.
// List, add at either end, move a rule up or down (PUT /acl/rules/order), delete.

import { useState } from 'preact/hooks';
import { api, segment } from '../api.js';
import { ConfirmButton, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { useRequest } from '../hooks.js';

interface AclRule {
  id: string;
  permission: 'allow' | 'deny';
  action: 'publish' | 'subscribe' | 'all';
  topic: string;
  username?: string;
  client_id?: string;
}

export function AclPage() {
  const rules = useRequest(() => api.get<AclRule[]>('/acl/rules'), []);
  const moving = useAction();
  const move = (index: number, by: -1 | 1): void => {
    const list = rules.data;
    if (list === undefined) return;
    const ids = list.map((rule) => rule.id);
    const target = index + by;
    if (target < 0 || target >= ids.length) return;
    [ids[index], ids[target]] = [ids[target]!, ids[index]!];
    void moving.run(async () => {
      await api.put('/acl/rules/order', { ids });
      rules.reload();
    });
  };
  const list = rules.data;
  return (
    <>
      <PageHeader title="ACL rules" />
      <p class="lead">
        Checked in this order for every publish and subscribe; the first rule that matches decides. These rules come before the rules file and the configuration's rules. In a topic, <code>%u</code> is the username and <code>%c</code> the client id.
      </p>
      <AddRule onAdded={rules.reload} />
      <ErrorNotice error={rules.error ?? moving.error} />
      <DataTable
        caption="ACL rules in order"
        rows={list}
        rowKey={(rule) => rule.id}
        loading={rules.loading || moving.busy}
        empty="No rules in the store: the configuration's rules and default decide."
        columns={[
          { key: 'order', label: '#', numeric: true, render: (rule) => String((list?.indexOf(rule) ?? 0) + 1) },
          { key: 'permission', label: 'Permission', render: (rule) => <span class={`badge ${rule.permission}`}>{rule.permission}</span> },
          { key: 'action', label: 'Action' },
          { key: 'topic', label: 'Topic filter', render: (rule) => <code>{rule.topic}</code> },
          { key: 'username', label: 'Username', render: (rule) => rule.username ?? 'any' },
          { key: 'client_id', label: 'Client id', render: (rule) => rule.client_id ?? 'any' },
          {
            key: 'actions',
            label: 'Actions',
            render: (rule) => {
              const index = list?.indexOf(rule) ?? 0;
              return (
                <div class="row-actions">
                  <WriteButton onClick={() => move(index, -1)} disabled={index === 0 || moving.busy} aria-label={`Move rule ${index + 1} up`}>
                    ↑
                  </WriteButton>
                  <WriteButton onClick={() => move(index, 1)} disabled={index === (list?.length ?? 0) - 1 || moving.busy} aria-label={`Move rule ${index + 1} down`}>
                    ↓
                  </WriteButton>
                  <ConfirmButton label="Delete" ariaLabel={`Delete rule ${index + 1}`} question={`Delete rule ${index + 1}?`} detail={<code>{`${rule.permission} ${rule.action} ${rule.topic}`}</code>} confirmLabel="Delete" onConfirm={async () => { await api.delete(`/acl/rules/${segment(rule.id)}`); rules.reload(); }} />
                </div>
              );
            },
          },
        ]}
      />
    </>
  );
}

function AddRule({ onAdded }: { onAdded: () => void }) {
  const [permission, setPermission] = useState<'allow' | 'deny'>('allow');
  const [action, setAction] = useState<'publish' | 'subscribe' | 'all'>('all');
  const [topic, setTopic] = useState('');
  const [username, setUsername] = useState('');
  const [clientId, setClientId] = useState('');
  const [position, setPosition] = useState<'first' | 'last'>('last');
  const adding = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body = { permission, action, topic: topic.trim(), position, ...(username.trim() === '' ? {} : { username: username.trim() }), ...(clientId.trim() === '' ? {} : { client_id: clientId.trim() }) };
    if (await adding.run(() => api.post('/acl/rules', body))) {
      setTopic('');
      onAdded();
    }
  };
  return (
    <form class="card form-grid" onSubmit={(event) => void submit(event)} aria-label="Add an ACL rule">
      <h2>Add a rule</h2>
      <ErrorNotice error={adding.error} />
      <Field label="Permission">
        <select value={permission} onChange={(event) => setPermission(inputValue(event) as 'allow' | 'deny')}>
          <option value="allow">allow</option>
          <option value="deny">deny</option>
        </select>
      </Field>
      <Field label="Action">
        <select value={action} onChange={(event) => setAction(inputValue(event) as 'publish' | 'subscribe' | 'all')}>
          <option value="all">all</option>
          <option value="publish">publish</option>
          <option value="subscribe">subscribe</option>
        </select>
      </Field>
      <Field label="Topic filter">
        <input required value={topic} placeholder="sensors/%u/#" onInput={(event) => setTopic(inputValue(event))} />
      </Field>
      <Field label="Username" hint="Empty: any user.">
        <input value={username} onInput={(event) => setUsername(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Client id" hint="Empty: any client.">
        <input value={clientId} onInput={(event) => setClientId(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Where">
        <select value={position} onChange={(event) => setPosition(inputValue(event) as 'first' | 'last')}>
          <option value="last">after the others</option>
          <option value="first">before the others</option>
        </select>
      </Field>
      <div class="actions">
        <WriteButton type="submit" kind="primary" disabled={adding.busy}>
          Add rule
        </WriteButton>
      </div>
    </form>
  );
}
