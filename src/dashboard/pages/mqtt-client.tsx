// An MQTT client in the page, like EMQX's WebSocket tool: connect to the broker's ws/wss listener
// (MQTT 3.1.1 or 5, client id, credentials, clean start, keep-alive, will), subscribe, publish with
// QoS/retain/MQTT 5 properties, and watch messages arrive; several connections at once.

import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { checked, Field, inputValue, useAction } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { PayloadView } from '../components/payload.js';
import { useRequest } from '../hooks.js';
import {
  clearMessages,
  connect,
  connections,
  disconnect,
  openConnection,
  publish,
  removeConnection,
  selectedConnection,
  subscribe,
  unsubscribe,
  type Connection,
  type ConnectionOptions,
  type LoggedMessage,
  type PublishProperties,
  type QoS,
} from '../mqtt-connections.js';
import { useStore } from '../store.js';

interface Listener {
  type: string;
  bind?: string;
  running?: boolean;
  path?: string;
}

/** ws://<this host>:<port>/mqtt for the first ws (or wss) listener the API lists, else EMQX's 8083. */
function defaultUrl(listeners: Listener[] | undefined): string {
  const host = window.location.hostname.includes(':') ? `[${window.location.hostname}]` : window.location.hostname;
  const preferred = window.location.protocol === 'https:' ? ['wss', 'ws'] : ['ws', 'wss'];
  for (const type of preferred) {
    const listener = listeners?.find((candidate) => candidate.type === type && candidate.running !== false);
    const port = listener?.bind?.split(':').pop();
    if (listener !== undefined && port !== undefined) return `${type}://${host}:${port}${listener.path ?? '/mqtt'}`;
  }
  return `ws://${host}:8083/mqtt`;
}

function randomClientId(): string {
  return `dashboard-${Math.random().toString(16).slice(2, 10)}`;
}

export function MqttClientPage() {
  const list = useStore(connections);
  const selected = useStore(selectedConnection);
  const [adding, setAdding] = useState(list.length === 0);
  const current = list.find((connection) => connection.id === selected);
  return (
    <>
      <PageHeader title="MQTT client">
        <button type="button" class="button primary" onClick={() => setAdding(true)}>
          New connection
        </button>
      </PageHeader>
      <p class="lead">An MQTT client in this page, connected over the broker's WebSocket listener with MQTT.js. Connections stay open while you visit other pages, until you log out or close the tab.</p>
      {list.length > 0 ? (
        <div class="tabs" role="tablist" aria-label="Connections">
          {list.map((connection) => (
            <button
              key={connection.id}
              type="button"
              role="tab"
              aria-selected={connection.id === selected && !adding}
              class={`tab state-${connection.state}`}
              onClick={() => {
                selectedConnection.set(connection.id);
                setAdding(false);
              }}
            >
              <span class={`dot ${connection.state}`} aria-hidden="true" />
              {connection.options.clientId}
              <span class="visually-hidden"> ({connection.state})</span>
            </button>
          ))}
        </div>
      ) : null}
      {adding || current === undefined ? <ConnectForm onConnected={() => setAdding(false)} /> : <ConnectionPanel connection={current} />}
    </>
  );
}

function ConnectForm({ onConnected }: { onConnected: () => void }) {
  const listeners = useRequest(() => api.get<Listener[]>('/listeners').catch(() => undefined), []);
  const [url, setUrl] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState<4 | 5>(5);
  const [clientId, setClientId] = useState(randomClientId);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [clean, setClean] = useState(true);
  const [keepalive, setKeepalive] = useState(60);
  const [sessionExpiry, setSessionExpiry] = useState(0);
  const [willTopic, setWillTopic] = useState('');
  const [willPayload, setWillPayload] = useState('');
  const [willQos, setWillQos] = useState<QoS>(0);
  const [willRetain, setWillRetain] = useState(false);
  const action = useAction();
  const shownUrl = url ?? defaultUrl(listeners.data ?? undefined);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const options: ConnectionOptions = { url: shownUrl.trim(), protocolVersion: version, clientId: clientId.trim(), username, password, clean, keepalive, sessionExpiry };
    if (willTopic.trim() !== '') options.will = { topic: willTopic.trim(), payload: willPayload, qos: willQos, retain: willRetain };
    if (await action.run(() => openConnection(options))) {
      setClientId(randomClientId());
      onConnected();
    }
  };
  return (
    <form class="card form-grid" onSubmit={(event) => void submit(event)} aria-label="New connection">
      <h2>New connection</h2>
      <ErrorNotice error={action.error} />
      <Field label="Broker URL" hint="The broker's WebSocket listener (ws:// or wss://).">
        <input name="url" required value={shownUrl} onInput={(event) => setUrl(inputValue(event))} />
      </Field>
      <Field label="MQTT version">
        <select name="version" value={String(version)} onChange={(event) => setVersion(inputValue(event) === '4' ? 4 : 5)}>
          <option value="5">5.0</option>
          <option value="4">3.1.1</option>
        </select>
      </Field>
      <Field label="Client id">
        <input name="clientId" required value={clientId} onInput={(event) => setClientId(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Username">
        <input name="username" value={username} onInput={(event) => setUsername(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Password">
        <input name="password" type="password" value={password} onInput={(event) => setPassword(inputValue(event))} autoComplete="off" />
      </Field>
      <Field label="Keep-alive (s)">
        <input name="keepalive" type="number" min={0} max={65535} value={keepalive} onInput={(event) => setKeepalive(Number(inputValue(event)))} />
      </Field>
      {version === 5 ? (
        <Field label="Session expiry (s)">
          <input name="sessionExpiry" type="number" min={0} value={sessionExpiry} onInput={(event) => setSessionExpiry(Number(inputValue(event)))} />
        </Field>
      ) : null}
      <label class="check">
        <input type="checkbox" name="clean" checked={clean} onChange={(event) => setClean(checked(event))} /> {version === 5 ? 'Clean start' : 'Clean session'}
      </label>
      <fieldset class="subgrid">
        <legend>Will (optional)</legend>
        <Field label="Will topic">
          <input name="willTopic" value={willTopic} onInput={(event) => setWillTopic(inputValue(event))} />
        </Field>
        <Field label="Will payload">
          <input name="willPayload" value={willPayload} onInput={(event) => setWillPayload(inputValue(event))} />
        </Field>
        <QosSelect label="Will QoS" value={willQos} onChange={setWillQos} />
        <label class="check">
          <input type="checkbox" checked={willRetain} onChange={(event) => setWillRetain(checked(event))} /> Will retained
        </label>
      </fieldset>
      <div class="actions">
        <button type="submit" class="button primary" disabled={action.busy}>
          Connect
        </button>
      </div>
    </form>
  );
}

function QosSelect({ label, value, onChange }: { label: string; value: QoS; onChange: (qos: QoS) => void }) {
  return (
    <Field label={label}>
      <select value={String(value)} onChange={(event) => onChange(Number(inputValue(event)) as QoS)}>
        <option value="0">0 at most once</option>
        <option value="1">1 at least once</option>
        <option value="2">2 exactly once</option>
      </select>
    </Field>
  );
}

function ConnectionPanel({ connection }: { connection: Connection }) {
  const { id, options, state } = connection;
  return (
    <section class="mqtt-panel" aria-label={`Connection ${options.clientId}`}>
      <div class="card connection-head">
        <div>
          <strong>{options.clientId}</strong> → <code>{options.url}</code> · MQTT {options.protocolVersion === 5 ? '5' : '3.1.1'} ·{' '}
          <span class={`state ${state}`} data-state={state}>
            {state}
          </span>
          {connection.error !== undefined && state !== 'connected' ? <div class="hint" role="status">{connection.error}</div> : null}
        </div>
        <div class="row-actions">
          {state === 'closed' ? (
            <button type="button" class="button primary" onClick={() => void connect(id)}>
              Reconnect
            </button>
          ) : (
            <button type="button" class="button plain" onClick={() => disconnect(id)}>
              Disconnect
            </button>
          )}
          <button type="button" class="button danger" onClick={() => removeConnection(id)}>
            Remove
          </button>
        </div>
      </div>
      <div class="mqtt-columns">
        <div>
          <SubscribeCard connection={connection} />
          <PublishCard connection={connection} />
        </div>
        <MessageList connection={connection} />
      </div>
    </section>
  );
}

function SubscribeCard({ connection }: { connection: Connection }) {
  const [topic, setTopic] = useState('');
  const [qos, setQos] = useState<QoS>(0);
  const [noLocal, setNoLocal] = useState(false);
  const [retainAsPublished, setRetainAsPublished] = useState(false);
  const [retainHandling, setRetainHandling] = useState<0 | 1 | 2>(0);
  const action = useAction();
  const v5 = connection.options.protocolVersion === 5;
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (await action.run(() => subscribe(connection.id, topic.trim(), { qos, nl: noLocal, rap: retainAsPublished, rh: retainHandling }))) setTopic('');
  };
  return (
    <form class="card" onSubmit={(event) => void submit(event)} aria-label="Subscribe">
      <h2>Subscribe</h2>
      <ErrorNotice error={action.error} />
      <div class="form-grid">
        <Field label="Topic filter">
          <input name="subscribeTopic" required value={topic} placeholder="sensors/#" onInput={(event) => setTopic(inputValue(event))} />
        </Field>
        <QosSelect label="QoS" value={qos} onChange={setQos} />
        {v5 ? (
          <>
            <Field label="Retain handling">
              <select value={String(retainHandling)} onChange={(event) => setRetainHandling(Number(inputValue(event)) as 0 | 1 | 2)}>
                <option value="0">0 send retained</option>
                <option value="1">1 only for a new subscription</option>
                <option value="2">2 never</option>
              </select>
            </Field>
            <label class="check">
              <input type="checkbox" checked={noLocal} onChange={(event) => setNoLocal(checked(event))} /> No local
            </label>
            <label class="check">
              <input type="checkbox" checked={retainAsPublished} onChange={(event) => setRetainAsPublished(checked(event))} /> Retain as published
            </label>
          </>
        ) : null}
        <div class="actions">
          <button type="submit" class="button primary" disabled={action.busy || connection.state !== 'connected'}>
            Subscribe
          </button>
        </div>
      </div>
      {connection.subscriptions.length > 0 ? (
        <ul class="subscriptions" aria-label="Subscriptions">
          {connection.subscriptions.map((entry) => (
            <li key={entry.topic}>
              <code>{entry.topic}</code> QoS {entry.granted < 0x80 ? entry.granted : `refused (0x${entry.granted.toString(16)})`}
              <button type="button" class="button plain small" aria-label={`Unsubscribe from ${entry.topic}`} onClick={() => void action.run(() => unsubscribe(connection.id, entry.topic))} disabled={connection.state !== 'connected'}>
                Unsubscribe
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}

function parseUserProperties(text: string): Record<string, string> | undefined {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const equals = line.indexOf('=');
      return equals < 0 ? [line, ''] : [line.slice(0, equals).trim(), line.slice(equals + 1).trim()];
    });
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('payload: not hex (pairs of 0-9, a-f)');
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function PublishCard({ connection }: { connection: Connection }) {
  const [topic, setTopic] = useState('');
  const [payload, setPayload] = useState('');
  const [encoding, setEncoding] = useState<'text' | 'hex'>('text');
  const [qos, setQos] = useState<QoS>(0);
  const [retain, setRetain] = useState(false);
  const [contentType, setContentType] = useState('');
  const [expiry, setExpiry] = useState('');
  const [responseTopic, setResponseTopic] = useState('');
  const [correlation, setCorrelation] = useState('');
  const [userProperties, setUserProperties] = useState('');
  const [utf8, setUtf8] = useState(false);
  const action = useAction();
  const v5 = connection.options.protocolVersion === 5;
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    await action.run(async () => {
      const bytes = encoding === 'hex' ? hexToBytes(payload) : new TextEncoder().encode(payload);
      let properties: PublishProperties | undefined;
      if (v5) {
        properties = {};
        if (contentType !== '') properties.contentType = contentType;
        if (expiry !== '') properties.messageExpiryInterval = Number(expiry);
        if (responseTopic !== '') properties.responseTopic = responseTopic;
        if (correlation !== '') properties.correlationData = new TextEncoder().encode(correlation);
        if (utf8) properties.payloadFormatIndicator = true;
        const user = parseUserProperties(userProperties);
        if (user !== undefined) properties.userProperties = user;
        if (Object.keys(properties).length === 0) properties = undefined;
      }
      await publish(connection.id, topic.trim(), bytes, { qos, retain, ...(properties === undefined ? {} : { properties }) });
    });
  };
  return (
    <form class="card" onSubmit={(event) => void submit(event)} aria-label="Publish">
      <h2>Publish</h2>
      <ErrorNotice error={action.error} />
      <div class="form-grid">
        <Field label="Topic">
          <input name="publishTopic" required value={topic} placeholder="sensors/kitchen/temperature" onInput={(event) => setTopic(inputValue(event))} />
        </Field>
        <QosSelect label="QoS" value={qos} onChange={setQos} />
        <Field label="Payload">
          <textarea name="payload" rows={3} value={payload} onInput={(event) => setPayload(inputValue(event))} />
        </Field>
        <Field label="Payload as">
          <select value={encoding} onChange={(event) => setEncoding(inputValue(event) as 'text' | 'hex')}>
            <option value="text">text (UTF-8)</option>
            <option value="hex">hex</option>
          </select>
        </Field>
        <label class="check">
          <input type="checkbox" name="retain" checked={retain} onChange={(event) => setRetain(checked(event))} /> Retain
        </label>
      </div>
      {v5 ? (
        <details>
          <summary>MQTT 5 properties</summary>
          <div class="form-grid">
            <Field label="Content type">
              <input value={contentType} onInput={(event) => setContentType(inputValue(event))} placeholder="application/json" />
            </Field>
            <Field label="Message expiry (s)">
              <input type="number" min={0} value={expiry} onInput={(event) => setExpiry(inputValue(event))} />
            </Field>
            <Field label="Response topic">
              <input value={responseTopic} onInput={(event) => setResponseTopic(inputValue(event))} />
            </Field>
            <Field label="Correlation data">
              <input value={correlation} onInput={(event) => setCorrelation(inputValue(event))} />
            </Field>
            <Field label="User properties" hint="One key=value a line.">
              <textarea rows={2} value={userProperties} onInput={(event) => setUserProperties(inputValue(event))} />
            </Field>
            <label class="check">
              <input type="checkbox" checked={utf8} onChange={(event) => setUtf8(checked(event))} /> Payload is UTF-8 (format indicator)
            </label>
          </div>
        </details>
      ) : null}
      <div class="actions">
        <button type="submit" class="button primary" disabled={action.busy || connection.state !== 'connected'}>
          Publish
        </button>
      </div>
    </form>
  );
}

const SHOWN_MESSAGES = 200;

function MessageList({ connection }: { connection: Connection }) {
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState<number | undefined>(undefined);
  const wanted = filter.trim();
  const messages = connection.messages.filter((message) => wanted === '' || message.topic.includes(wanted) || (message.text ?? '').includes(wanted));
  return (
    <section class="card messages" aria-label="Messages">
      <div class="messages-head">
        <h2>Messages</h2>
        <label class="field inline">
          <span class="visually-hidden">Filter messages by topic</span>
          <input type="search" placeholder="filter by topic" value={filter} onInput={(event) => setFilter(inputValue(event))} />
        </label>
        <button type="button" class="button plain small" onClick={() => clearMessages(connection.id)}>
          Clear
        </button>
      </div>
      {messages.length === 0 ? <Note>No messages yet.</Note> : null}
      <ol class="message-list" aria-live="polite" aria-relevant="additions">
        {messages.slice(0, SHOWN_MESSAGES).map((message) => (
          <MessageItem key={message.id} message={message} open={open === message.id} onToggle={() => setOpen(open === message.id ? undefined : message.id)} />
        ))}
      </ol>
      {messages.length > SHOWN_MESSAGES ? <p class="hint">Showing the newest {SHOWN_MESSAGES} of {messages.length}.</p> : null}
    </section>
  );
}

function MessageItem({ message, open, onToggle }: { message: LoggedMessage; open: boolean; onToggle: () => void }) {
  const time = new Date(message.at).toLocaleTimeString();
  if (message.direction === 'event') {
    return (
      <li class="message event" data-direction="event">
        <time>{time}</time> {message.text}
      </li>
    );
  }
  const preview = new TextDecoder().decode(message.payload.subarray(0, 120));
  return (
    <li class={`message ${message.direction}`} data-direction={message.direction} data-topic={message.topic}>
      <button type="button" class="message-summary" aria-expanded={open} onClick={onToggle}>
        <span class="direction">{message.direction === 'in' ? '⇣ in' : '⇡ out'}</span>
        <time>{time}</time>
        <code class="topic">{message.topic}</code>
        <span class="meta">
          QoS {message.qos}
          {message.retain ? ' · retained' : ''}
        </span>
        <span class="preview">{preview}</span>
      </button>
      {open ? (
        <div class="message-detail">
          <PayloadView bytes={message.payload} />
          {message.properties !== undefined && Object.keys(message.properties).length > 0 ? <pre class="properties">{JSON.stringify(message.properties, (_key, value: unknown) => (value instanceof Uint8Array ? new TextDecoder().decode(value) : value), 2)}</pre> : null}
        </div>
      ) : null}
    </li>
  );
}
