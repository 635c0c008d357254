// Testing a rule's SQL (saved or not) against a sample input with POST /api/v5/rule_test: a published
// message (topic, payload, client) or one of the events GET /api/v5/rule_events lists, picked from the
// SQL's FROM by default. Nothing is published and no action runs.

import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { isSqlError } from '../components/sql-field.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { useRequest } from '../hooks.js';
import { eventOfFrom, fromEntries, topicFor, type RuleEvent } from '../rules-api.js';

const MESSAGE = 'message.publish';

interface SqlTesterProps {
  sql: string;
  /** A refusal about the SQL itself goes to the SQL field, which shows where it points. */
  onSqlError: (error: Error | undefined) => void;
}

export function SqlTester({ sql, onSqlError }: SqlTesterProps) {
  const events = useRequest(() => api.get<RuleEvent[]>('/rule_events'), []);
  const from = fromEntries(sql);
  const fromEvent = from.map((entry) => eventOfFrom(entry, events.data ?? [])).find((event) => event !== undefined);
  // Until the reader picks, the input follows the SQL's FROM.
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const input = picked ?? fromEvent?.event ?? MESSAGE;
  const [topic, setTopic] = useState<string | undefined>(undefined);
  const [payload, setPayload] = useState('{"temperature": 31.5}');
  const [clientId, setClientId] = useState('c1');
  const [username, setUsername] = useState('u1');
  const [qos, setQos] = useState(1);
  const [fields, setFields] = useState('{}');
  const [output, setOutput] = useState<{ matched: boolean; text: string } | undefined>(undefined);
  const testing = useAction();
  const shownTopic = topic ?? topicFor(from.find((entry) => !entry.startsWith('$')) ?? 't/1');

  const run = (): void => {
    setOutput(undefined);
    onSqlError(undefined);
    void testing.run(async () => {
      let context: Record<string, unknown>;
      if (input === MESSAGE) {
        context = { event_type: 'message_publish', topic: shownTopic, payload, clientid: clientId, username, qos };
      } else {
        try {
          context = { ...(JSON.parse(fields) as Record<string, unknown>), event_type: input.replace('.', '_') };
        } catch (error) {
          throw new Error(`fields: not JSON (${(error as Error).message})`);
        }
      }
      try {
        setOutput({ matched: true, text: JSON.stringify(await api.post<unknown>('/rule_test', { sql, context }), null, 2) });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'NOT_MATCH') return setOutput({ matched: false, text: '' });
        if (isSqlError(error as Error)) onSqlError(error as Error);
        throw error;
      }
    });
  };

  return (
    <section class="card" aria-labelledby="test-title">
      <h2 id="test-title">Test the SQL</h2>
      <p class="hint">Runs the SQL above, saved or not, on this input; nothing is published and no action runs.</p>
      <div class="form-grid">
        <Field label="Input">
          <select value={input} onChange={(event) => setPicked(inputValue(event))}>
            <option value={MESSAGE}>A published message</option>
            {(events.data ?? [])
              .filter((event) => event.event !== MESSAGE)
              .map((event) => (
                <option key={event.event} value={event.event}>
                  Event {event.event_topics[0] ?? event.event}
                </option>
              ))}
          </select>
        </Field>
        {input === MESSAGE ? (
          <>
            <Field label="Topic">
              <input value={shownTopic} onInput={(event) => setTopic(inputValue(event))} />
            </Field>
            <Field label="Client id">
              <input value={clientId} onInput={(event) => setClientId(inputValue(event))} />
            </Field>
            <Field label="Username">
              <input value={username} onInput={(event) => setUsername(inputValue(event))} />
            </Field>
            <Field label="QoS">
              <select value={String(qos)} onChange={(event) => setQos(Number(inputValue(event)))}>
                <option value="0">0</option>
                <option value="1">1</option>
                <option value="2">2</option>
              </select>
            </Field>
          </>
        ) : null}
      </div>
      {input === MESSAGE ? (
        <Field label="Payload">
          <textarea class="code-input" rows={3} spellcheck={false} value={payload} onInput={(event) => setPayload(inputValue(event))} />
        </Field>
      ) : (
        <Field label="Fields (JSON)" hint={`Fields given replace the example values of the others: ${(events.data?.find((event) => event.event === input)?.columns ?? []).join(', ')}`}>
          <textarea class="code-input" rows={3} spellcheck={false} value={fields} onInput={(event) => setFields(inputValue(event))} />
        </Field>
      )}
      <div class="actions">
        <WriteButton kind="primary" onClick={run} disabled={testing.busy}>
          Run test
        </WriteButton>
      </div>
      {isSqlError(testing.error) ? <p class="hint">The SQL was refused: see above.</p> : <ErrorNotice error={testing.error} />}
      {output !== undefined && !output.matched ? <Note kind="warning">Nothing selected: the input does not match FROM, or WHERE rejected it.</Note> : null}
      {output !== undefined && output.matched ? (
        <>
          <h3>Output</h3>
          <pre class="payload-text" tabIndex={0} aria-label="Test output">
            {output.text}
          </pre>
        </>
      ) : null}
    </section>
  );
}
