// The rule engine's connectors (GET /api/v5/connectors): each with its type, status (and why it is not
// connected), counters and settings as the API shows them (passwords masked); add one (POST) with its
// settings as JSON, delete one no rule uses. Connectors of the config file are changed only there.

import { useState } from 'preact/hooks';
import { api, segment } from '../api.js';
import { ConfirmButton, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { count } from '../format.js';
import { useRequest } from '../hooks.js';
import type { Connector } from '../rules-api.js';
import { ConnectorBadge } from './rule-actions.js';
import { CONFIG_FILE_HINT } from './rules.js';

/** Each type's required settings, as a starting point (the README describes every field). */
const TEMPLATES: Record<string, Record<string, unknown>> = {
  webhook: { url: 'http://127.0.0.1:8080/hook', method: 'post', headers: {}, body: '${.}' },
  postgresql: { server: '127.0.0.1:5432', database: 'iot', username: 'starling', password: '', sql: 'INSERT INTO readings (clientid, payload) VALUES (${clientid}, ${payload})' },
  mysql: { server: '127.0.0.1:3306', database: 'iot', username: 'starling', password: '', sql: 'INSERT INTO readings (clientid, payload) VALUES (${clientid}, ${payload})' },
  redis: { server: '127.0.0.1:6379', command: 'HSET device:${clientid} payload ${payload}' },
  influxdb: { server: 'http://127.0.0.1:8086', database: 'iot', write_syntax: 'readings,client=${clientid} value=${payload.value}' },
  nats: { servers: 'nats://127.0.0.1:4222', subject: 'iot.${clientid}', payload: '${payload}' },
};

const COUNTERS = ['matched', 'success', 'failed', 'retried', 'dropped', 'queuing'] as const;

export function ConnectorsPage() {
  const connectors = useRequest(() => api.get<Connector[]>('/connectors'), [], { every: 5_000 });
  return (
    <>
      <PageHeader title="Connectors">
        <a class="button plain" href="/rules">
          Rules
        </a>
      </PageHeader>
      <p class="lead">Where rules send their outputs: an HTTP webhook, PostgreSQL, MySQL, Redis, InfluxDB or NATS. A rule names a connector in its actions.</p>
      <AddConnector onAdded={connectors.reload} />
      <ErrorNotice error={connectors.error} />
      <DataTable
        caption="Connectors"
        rows={connectors.data}
        loading={connectors.loading}
        rowKey={(connector) => connector.name}
        empty="No connectors yet."
        columns={[
          { key: 'name', label: 'Connector' },
          { key: 'type', label: 'Type' },
          {
            key: 'status',
            label: 'Status',
            render: (connector) => (
              <>
                <ConnectorBadge connector={connector} />
                {connector.status_reason !== undefined && connector.status_reason !== null && connector.status !== 'connected' ? <span class="hint"> {connector.status_reason}</span> : null}
              </>
            ),
          },
          { key: 'origin', label: 'Defined in', render: (connector) => (connector.origin === 'config' ? 'config file' : 'store') },
          ...COUNTERS.map((name) => ({ key: name, label: name, numeric: true, render: (connector: Connector) => count(connector.metrics?.[name]) })),
          {
            key: 'settings',
            label: 'Settings',
            render: (connector) => (
              <details>
                <summary>Show</summary>
                <pre class="payload-text">{JSON.stringify(connector.settings, null, 2)}</pre>
              </details>
            ),
          },
          {
            key: 'delete',
            label: 'Change',
            render: (connector) => (
              <ConfirmButton
                label="Delete"
                ariaLabel={`Delete connector ${connector.name}`}
                disabled={connector.origin === 'config'}
                title={connector.origin === 'config' ? CONFIG_FILE_HINT : undefined}
                question={`Delete connector ${connector.name}?`}
                detail="Outputs waiting in its buffer are dropped. A connector a rule uses cannot be deleted."
                confirmLabel="Delete"
                onConfirm={async () => {
                  await api.delete(`/connectors/${segment(connector.name)}`);
                  connectors.reload();
                }}
              />
            ),
          },
        ]}
      />
    </>
  );
}

function AddConnector({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState('webhook');
  const [settings, setSettings] = useState(JSON.stringify(TEMPLATES['webhook'], null, 2));
  const adding = useAction();
  const pickType = (next: string): void => {
    setType(next);
    setSettings(JSON.stringify(TEMPLATES[next] ?? {}, null, 2));
  };
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const ok = await adding.run(async () => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(settings) as Record<string, unknown>;
      } catch (error) {
        throw new Error(`settings: not JSON (${(error as Error).message})`);
      }
      await api.post('/connectors', { ...parsed, name: name.trim(), type });
    });
    if (ok) {
      setName('');
      onAdded();
    }
  };
  return (
    <details class="card">
      <summary>Add a connector</summary>
      <form onSubmit={(event) => void submit(event)} aria-label="Add a connector">
        <ErrorNotice error={adding.error} />
        <div class="form-grid">
          <Field label="Name">
            <input required value={name} onInput={(event) => setName(inputValue(event))} />
          </Field>
          <Field label="Type">
            <select value={type} onChange={(event) => pickType(inputValue(event))}>
              {Object.keys(TEMPLATES).map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Settings (JSON)" hint="Credentials may be ${env:NAME} or ${file:/path}, read when the connector starts.">
          <textarea class="code-input" rows={8} spellcheck={false} value={settings} onInput={(event) => setSettings(inputValue(event))} />
        </Field>
        <div class="actions">
          <WriteButton type="submit" kind="primary" disabled={adding.busy}>
            Add connector
          </WriteButton>
        </div>
      </form>
    </details>
  );
}
