// One client: its connection and session (expiry, subscriptions with their options, queued and
// inflight counts), kick, subscribe or unsubscribe on its behalf, and a trace of its traffic.

import { useEffect, useState } from 'preact/hooks';
import { api, downloadFile, segment } from '../api.js';
import type { Client } from '../clients-api.js';
import { ConfirmButton, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { bytes, count, dateTime, duration, protocolName } from '../format.js';
import { useRequest } from '../hooks.js';
import { navigate } from '../router.js';

interface ClientSubscription {
  topic: string;
  qos: number;
  nl?: number;
  rap?: number;
  rh?: number;
  clientid?: string;
}

export function ClientPage({ clientId }: { clientId: string }) {
  const path = `/clients/${segment(clientId)}`;
  const client = useRequest(() => api.get<Client>(path), [path], { every: 5_000 });
  const subscriptions = useRequest(() => api.get<ClientSubscription[]>(`${path}/subscriptions`), [path], { every: 5_000 });
  const unsubscribing = useAction();
  const data = client.data;
  const gone = client.error !== undefined && 'status' in client.error && (client.error as { status: number }).status === 404;
  return (
    <>
      <PageHeader title={`Client ${clientId}`}>
        <a class="button plain" href="/clients">
          All clients
        </a>
        <ConfirmButton
          label="Kick"
          question={`Kick client ${clientId}?`}
          detail="It is disconnected (MQTT 5: reason 0x98, administrative action) and its session is discarded."
          confirmLabel="Kick"
          onConfirm={async () => {
            await api.delete(path);
            navigate('/clients');
          }}
        />
      </PageHeader>
      {gone ? <Note kind="warning">No client or session with this id now: it disconnected with a session that ended, or was kicked.</Note> : <ErrorNotice error={client.error} />}
      {data !== undefined && !gone ? (
        <div class="detail-grid">
          <section class="card" aria-labelledby="connection-title">
            <h2 id="connection-title">Connection</h2>
            <dl class="facts">
              <dt>State</dt>
              <dd>{data.connected ? <span class="badge good">connected</span> : <span class="badge">disconnected</span>}</dd>
              <dt>Username</dt>
              <dd>{data.username ?? '–'}</dd>
              <dt>Address</dt>
              <dd>
                {data.ip_address ?? '–'}
                {data.port !== null ? `:${data.port}` : ''}
              </dd>
              <dt>Listener</dt>
              <dd>{data.listener ?? '–'}</dd>
              <dt>Protocol</dt>
              <dd>{protocolName(data.proto_ver)}</dd>
              <dt>Keep-alive</dt>
              <dd>{data.keepalive} s</dd>
              <dt>Connected at</dt>
              <dd>{dateTime(data.connected_at)}</dd>
              {data.disconnected_at !== undefined ? (
                <>
                  <dt>Disconnected at</dt>
                  <dd>{dateTime(data.disconnected_at)}</dd>
                </>
              ) : null}
              {data.recv_msg !== undefined ? (
                <>
                  <dt>Received / sent</dt>
                  <dd>
                    {count(data.recv_msg)} / {count(data.send_msg)} messages
                    {data.recv_oct !== undefined ? ` · ${bytes(data.recv_oct)} / ${bytes(data.send_oct)}` : ''}
                  </dd>
                </>
              ) : null}
            </dl>
          </section>
          <section class="card" aria-labelledby="session-title">
            <h2 id="session-title">Session</h2>
            <dl class="facts">
              <dt>Clean start</dt>
              <dd>{data.clean_start ? 'yes' : 'no'}</dd>
              <dt>Expiry interval</dt>
              <dd>{data.expiry_interval === 0 ? 'ends with the connection' : duration(data.expiry_interval)}</dd>
              <dt>Created at</dt>
              <dd>{dateTime(data.created_at)}</dd>
              <dt>Subscriptions</dt>
              <dd>
                {count(data.subscriptions_cnt)}
                {data.subscriptions_max !== undefined && data.subscriptions_max !== 'infinity' ? ` of ${String(data.subscriptions_max)}` : ''}
              </dd>
              <dt>Inflight</dt>
              <dd>
                {count(data.inflight_cnt)}
                {data.inflight_max !== undefined ? ` of ${count(data.inflight_max)}` : ''}
              </dd>
              <dt>Queued</dt>
              <dd>
                {count(data.mqueue_len)}
                {data.mqueue_max !== undefined ? ` of ${count(data.mqueue_max)}` : ''}
              </dd>
              <dt>Dropped from the queue</dt>
              <dd>{count(data.mqueue_dropped)}</dd>
              {data.awaiting_rel_cnt !== undefined ? (
                <>
                  <dt>Awaiting PUBREL</dt>
                  <dd>{count(data.awaiting_rel_cnt)}</dd>
                </>
              ) : null}
            </dl>
          </section>
        </div>
      ) : null}
      {!gone ? (
        <section aria-labelledby="subscriptions-title">
          <h2 id="subscriptions-title">Subscriptions</h2>
          <SubscribeOnBehalf path={path} onDone={subscriptions.reload} />
          <ErrorNotice error={subscriptions.error ?? unsubscribing.error} />
          <DataTable
            caption="Subscriptions of this client"
            rows={subscriptions.data}
            loading={subscriptions.loading}
            rowKey={(entry) => entry.topic}
            empty="No subscriptions."
            columns={[
              { key: 'topic', label: 'Topic filter', render: (entry) => <code>{entry.topic}</code> },
              { key: 'qos', label: 'QoS', numeric: true },
              { key: 'nl', label: 'No local', render: (entry) => (entry.nl === 1 ? 'yes' : 'no') },
              { key: 'rap', label: 'Retain as published', render: (entry) => (entry.rap === 1 ? 'yes' : 'no') },
              { key: 'rh', label: 'Retain handling', numeric: true, render: (entry) => String(entry.rh ?? 0) },
              {
                key: 'actions',
                label: 'Actions',
                render: (entry) => (
                  <WriteButton aria-label={`Unsubscribe ${clientId} from ${entry.topic}`} onClick={() => void unsubscribing.run(async () => { await api.post(`${path}/unsubscribe`, { topic: entry.topic }); subscriptions.reload(); })}>
                    Unsubscribe
                  </WriteButton>
                ),
              },
            ]}
          />
        </section>
      ) : null}
      <TraceSection clientId={clientId} />
    </>
  );
}

function SubscribeOnBehalf({ path, onDone }: { path: string; onDone: () => void }) {
  const [topic, setTopic] = useState('');
  const [qos, setQos] = useState(0);
  const action = useAction();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (await action.run(() => api.post(`${path}/subscribe`, { topic: topic.trim(), qos }))) {
      setTopic('');
      onDone();
    }
  };
  return (
    <form class="toolbar" onSubmit={(event) => void submit(event)} aria-label="Subscribe this client">
      <ErrorNotice error={action.error} />
      <label class="field inline">
        <span class="field-label">Subscribe it to</span>
        <input required value={topic} placeholder="topic/filter/#" onInput={(event) => setTopic(inputValue(event))} />
      </label>
      <label class="field inline">
        <span class="field-label">QoS</span>
        <select value={String(qos)} onChange={(event) => setQos(Number(inputValue(event)))}>
          <option value="0">0</option>
          <option value="1">1</option>
          <option value="2">2</option>
        </select>
      </label>
      <WriteButton type="submit" disabled={action.busy}>
        Subscribe
      </WriteButton>
    </form>
  );
}

interface Trace {
  name: string;
  type: string;
  clientid?: string;
  status: 'running' | 'stopped' | 'waiting';
  start_at: string;
  end_at: string;
  log_size?: Record<string, number>;
}

function traceName(clientId: string): string {
  const safe = clientId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60);
  return `client_${safe}_${Date.now().toString(36)}`;
}

function TraceSection({ clientId }: { clientId: string }) {
  const traces = useRequest(() => api.get<Trace[]>('/trace'), [], { every: 5_000 });
  const [minutes, setMinutes] = useState(10);
  const [shown, setShown] = useState<string | undefined>(undefined);
  const action = useAction();
  const mine = traces.data?.filter((trace) => trace.type === 'clientid' && trace.clientid === clientId);
  const start = (): void => {
    void action.run(async () => {
      const now = Date.now();
      await api.post('/trace', { name: traceName(clientId), type: 'clientid', clientid: clientId, start_at: new Date(now).toISOString(), end_at: new Date(now + minutes * 60_000).toISOString() });
      traces.reload();
    });
  };
  return (
    <section aria-labelledby="trace-title">
      <h2 id="trace-title">Trace</h2>
      <p class="hint">Logs every packet to and from this client while it runs.</p>
      <div class="toolbar">
        <label class="field inline">
          <span class="field-label">For</span>
          <select value={String(minutes)} onChange={(event) => setMinutes(Number(inputValue(event)))}>
            <option value="5">5 minutes</option>
            <option value="10">10 minutes</option>
            <option value="30">30 minutes</option>
            <option value="60">1 hour</option>
          </select>
        </label>
        <WriteButton kind="primary" onClick={start} disabled={action.busy}>
          Start trace
        </WriteButton>
      </div>
      <ErrorNotice error={traces.error ?? action.error} what="Traces" />
      {mine !== undefined ? (
        <DataTable
          caption="Traces of this client"
          rows={mine}
          loading={traces.loading}
          rowKey={(trace) => trace.name}
          empty="No trace of this client."
          columns={[
            { key: 'name', label: 'Name' },
            { key: 'status', label: 'Status' },
            { key: 'start_at', label: 'From', render: (trace) => dateTime(trace.start_at) },
            { key: 'end_at', label: 'Until', render: (trace) => dateTime(trace.end_at) },
            { key: 'log_size', label: 'Log', numeric: true, render: (trace) => bytes(Object.values(trace.log_size ?? {}).reduce((sum, size) => sum + size, 0)) },
            {
              key: 'actions',
              label: 'Actions',
              render: (trace) => (
                <div class="row-actions">
                  <button type="button" class="button plain" onClick={() => setShown(shown === trace.name ? undefined : trace.name)} aria-expanded={shown === trace.name}>
                    {shown === trace.name ? 'Hide log' : 'Show log'}
                  </button>
                  {trace.status !== 'stopped' ? (
                    <WriteButton onClick={() => void action.run(async () => { await api.put(`/trace/${segment(trace.name)}/stop`); traces.reload(); })}>Stop</WriteButton>
                  ) : null}
                  <ConfirmButton label="Delete" ariaLabel={`Delete trace ${trace.name}`} question={`Delete trace ${trace.name}?`} confirmLabel="Delete" onConfirm={async () => { await api.delete(`/trace/${segment(trace.name)}`); traces.reload(); }} />
                </div>
              ),
            },
          ]}
        />
      ) : null}
      {shown !== undefined ? <TraceLog name={shown} /> : null}
    </section>
  );
}

/** Characters of a trace log kept in the page: the newest, from a line start. */
const SHOWN_LOG_CHARACTERS = 256 * 1024;

/** A trace's file as it grows: read in chunks from where the last read ended, every 3 s while shown. */
function TraceLog({ name }: { name: string }) {
  const [text, setText] = useState<string | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  useEffect(() => {
    let position = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async (): Promise<void> => {
      try {
        for (;;) {
          const chunk = await api.get<{ items: string; meta: { position: number } }>(`/trace/${segment(name)}/log`, { bytes: 65_536, position });
          if (stopped) return;
          if (chunk.items === '') break;
          position = chunk.meta.position;
          setText((shown) => {
            const all = (shown ?? '') + chunk.items;
            return all.length <= SHOWN_LOG_CHARACTERS ? all : all.slice(all.indexOf('\n', all.length - SHOWN_LOG_CHARACTERS) + 1);
          });
        }
        setText((shown) => shown ?? '');
        setError(undefined);
      } catch (failure) {
        if (!stopped) setError(failure as Error);
      }
      if (!stopped) timer = setTimeout(tick, 3_000);
    };
    const tick = (): void => {
      if (document.hidden) timer = setTimeout(tick, 3_000);
      else void read();
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [name]);
  const download = useAction();
  return (
    <div class="card">
      <div class="section-head">
        <h3>Log of {name}</h3>
        <button type="button" class="button plain small" disabled={download.busy} onClick={() => void download.run(() => downloadFile(`/trace/${segment(name)}/download`, `${name}.zip`))}>
          Download (zip)
        </button>
      </div>
      <ErrorNotice error={error ?? download.error} />
      <pre class="payload-text trace-log" tabIndex={0} aria-label={`Log of ${name}`}>
        {text === undefined ? 'Loading…' : text === '' ? '(nothing logged yet)' : text}
      </pre>
    </div>
  );
}
