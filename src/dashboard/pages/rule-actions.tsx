// A rule's actions, edited as forms: republish (topic, QoS, retain and payload templates; other
// arguments kept as they were), log to the console, or a connector by name (with its status).

import { useState } from 'preact/hooks';
import { inputValue } from '../components/controls.js';
import type { Connector, RepublishArgs, RuleAction } from '../rules-api.js';

export interface ActionsEditorProps {
  actions: RuleAction[];
  onChange: (actions: RuleAction[]) => void;
  connectors: readonly Connector[] | undefined;
  readOnly: boolean;
}

/** The connector an action names, or undefined for republish and console. */
export function connectorOf(action: RuleAction): string | undefined {
  if (typeof action === 'string') return action.includes(':') ? action.slice(action.indexOf(':') + 1) : action;
  return 'connector' in action ? action.connector : undefined;
}

export function describeAction(action: RuleAction): string {
  const connector = connectorOf(action);
  if (connector !== undefined) return `connector ${connector}`;
  if (typeof action !== 'string' && 'function' in action && action.function === 'republish') return `republish to ${action.args.topic}`;
  return 'console';
}

export function ActionsEditor({ actions, onChange, connectors, readOnly }: ActionsEditorProps) {
  const [adding, setAdding] = useState('republish');
  const replace = (index: number, action: RuleAction): void => onChange(actions.map((current, at) => (at === index ? action : current)));
  const remove = (index: number): void => onChange(actions.filter((_action, at) => at !== index));
  const add = (): void => {
    const action: RuleAction = adding === 'republish' ? { function: 'republish', args: { topic: '', qos: 0, retain: false, payload: '' } } : adding === 'console' ? { function: 'console' } : adding.replace(/^connector:/, '');
    onChange([...actions, action]);
  };
  return (
    <div class="actions-editor">
      <h3>Actions</h3>
      {actions.length === 0 ? <p class="hint">No actions: the rule only counts what it selects.</p> : null}
      {actions.map((action, index) => (
        <fieldset key={index} class="action-card" disabled={readOnly}>
          <legend>
            Action {index + 1}: {describeAction(action)}
          </legend>
          {typeof action !== 'string' && 'function' in action && action.function === 'republish' ? (
            <RepublishFields args={action.args} onChange={(args) => replace(index, { function: 'republish', args })} />
          ) : typeof action !== 'string' && 'function' in action ? (
            <p class="hint">Logs each output at info level.</p>
          ) : (
            <ConnectorStatus name={connectorOf(action)!} connectors={connectors} />
          )}
          <div class="actions">
            <button type="button" class="button plain small" onClick={() => remove(index)} aria-label={`Remove action ${index + 1}`}>
              Remove
            </button>
          </div>
        </fieldset>
      ))}
      {!readOnly ? (
        <div class="toolbar">
          <label class="field inline">
            <span class="field-label">New action</span>
            <select value={adding} onChange={(event) => setAdding(inputValue(event))}>
              <option value="republish">Republish</option>
              <option value="console">Log to the console</option>
              {(connectors ?? []).map((connector) => (
                <option key={connector.name} value={`connector:${connector.name}`}>
                  Connector {connector.name} ({connector.type})
                </option>
              ))}
            </select>
          </label>
          <button type="button" class="button plain" onClick={add}>
            Add action
          </button>
        </div>
      ) : null}
    </div>
  );
}

function RepublishFields({ args, onChange }: { args: RepublishArgs; onChange: (args: RepublishArgs) => void }) {
  const set = (field: keyof RepublishArgs, value: unknown): void => onChange({ ...args, [field]: value });
  const qos = args.qos === undefined ? '0' : String(args.qos);
  const retain = args.retain === undefined ? 'false' : String(args.retain);
  return (
    <div class="form-grid">
      <label class="field">
        <span class="field-label">Topic</span>
        <input required value={args.topic} placeholder="alerts/${clientid}" onInput={(event) => set('topic', inputValue(event))} />
      </label>
      <label class="field">
        <span class="field-label">QoS</span>
        <select value={qos} onChange={(event) => set('qos', /^\d$/.test(inputValue(event)) ? Number(inputValue(event)) : inputValue(event))}>
          <option value="0">0</option>
          <option value="1">1</option>
          <option value="2">2</option>
          <option value="${qos}">as received (${'{qos}'})</option>
          {!['0', '1', '2', '${qos}'].includes(qos) ? <option value={qos}>{qos}</option> : null}
        </select>
      </label>
      <label class="field">
        <span class="field-label">Retain</span>
        <select value={retain} onChange={(event) => set('retain', inputValue(event) === 'true' ? true : inputValue(event) === 'false' ? false : inputValue(event))}>
          <option value="false">no</option>
          <option value="true">yes</option>
          <option value="${flags.retain}">as received (${'{flags.retain}'})</option>
          {!['false', 'true', '${flags.retain}'].includes(retain) ? <option value={retain}>{retain}</option> : null}
        </select>
      </label>
      <label class="field wide">
        <span class="field-label">Payload</span>
        <textarea class="code-input" rows={2} spellcheck={false} value={args.payload ?? ''} placeholder="${payload}; empty: the output as JSON" onInput={(event) => set('payload', inputValue(event))} />
        <span class="hint">Templates: {'${field}'} takes a field of the output, {'${.}'} all of it as JSON.</span>
      </label>
    </div>
  );
}

function ConnectorStatus({ name, connectors }: { name: string; connectors: readonly Connector[] | undefined }) {
  const connector = connectors?.find((candidate) => candidate.name === name);
  if (connectors === undefined) return null;
  if (connector === undefined) return <p class="notice warning">No connector named {name}.</p>;
  return (
    <p>
      Sends each output to <a href="/connectors">{connector.type} connector {connector.name}</a>, now <ConnectorBadge connector={connector} />.
    </p>
  );
}

export function ConnectorBadge({ connector }: { connector: Connector }) {
  const tone = connector.status === 'connected' ? 'good' : connector.status === 'connecting' ? 'warn' : 'bad';
  return <span class={`badge ${tone}`}>{connector.status}</span>;
}
