// Logging in with an administrator's username and password (POST /api/v5/login).

import { useEffect, useState } from 'preact/hooks';
import { logIn } from '../api.js';
import { Field, inputValue, useAction } from '../components/controls.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { sessionEnded } from '../session.js';
import { useStore } from '../store.js';

/** The icon, beside this build's modules (their URLs carry the build id). */
const ICON = new URL('../../public/favicon.svg', import.meta.url).pathname;

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const ended = useStore(sessionEnded);
  const action = useAction();
  useEffect(() => {
    document.title = 'Log in · Starling';
  }, []);
  const submit = (event: Event): void => {
    event.preventDefault();
    void action.run(() => logIn(username.trim(), password));
  };
  return (
    <main class="login" id="main">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <img src={ICON} alt="" width={32} height={32} /> Starling
        </h1>
        <p class="hint">Log in with a management administrator (made with <code>starling ctl admins add</code>).</p>
        {ended !== undefined ? <Note kind="warning">{ended}</Note> : null}
        <ErrorNotice error={action.error} />
        <Field label="Username">
          <input name="username" autoComplete="username" required value={username} onInput={(event) => setUsername(inputValue(event))} autoFocus />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(event) => setPassword(inputValue(event))} />
        </Field>
        <button type="submit" class="button primary" disabled={action.busy}>
          {action.busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
