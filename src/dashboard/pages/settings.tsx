// The running configuration (GET /api/v5/configs, secrets masked) and what a reload would change
// (POST /api/v5/configs/reload?dry_run=true), without changing anything.

import { api } from '../api.js';
import { useAction } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { useRequest } from '../hooks.js';
import { useState } from 'preact/hooks';

export function SettingsPage() {
  const config = useRequest(() => api.get<Record<string, unknown>>('/configs'), []);
  const [plan, setPlan] = useState<unknown>(undefined);
  const checking = useAction();
  const check = (): void => {
    void checking.run(async () => setPlan(await api.post<unknown>('/configs/reload', undefined, { dry_run: true })));
  };
  return (
    <>
      <PageHeader title="Settings" />
      <p class="lead">The configuration the broker runs with; passwords and keys are masked. Change it in the configuration file, then reload.</p>
      <section aria-labelledby="reload-title" class="card">
        <h2 id="reload-title">What a reload would change</h2>
        <p class="hint">Reads the configuration file again and compares it with the running configuration; nothing is applied.</p>
        <button type="button" class="button primary" onClick={check} disabled={checking.busy}>
          Check the configuration file
        </button>
        <ErrorNotice error={checking.error} />
        {plan !== undefined ? <ReloadPlan plan={plan} /> : null}
      </section>
      <section aria-labelledby="running-title">
        <h2 id="running-title">Running configuration</h2>
        <ErrorNotice error={config.error} />
        {config.data !== undefined ? (
          <pre class="payload-text config" tabIndex={0}>
            {JSON.stringify(config.data, null, 2)}
          </pre>
        ) : null}
      </section>
    </>
  );
}

function ReloadPlan({ plan }: { plan: unknown }) {
  const changes = (plan as { changes?: unknown[] }).changes;
  if (Array.isArray(changes) && changes.length === 0) return <Note kind="success">The file matches the running configuration: a reload changes nothing.</Note>;
  return (
    <pre class="payload-text" tabIndex={0}>
      {JSON.stringify(plan, null, 2)}
    </pre>
  );
}
