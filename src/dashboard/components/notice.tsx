// Messages above a page's content: a refusal from the API (with its code), or a note.

import type { ComponentChildren } from 'preact';
import { ApiError } from '../api.js';

export function ErrorNotice({ error, what }: { error: Error | undefined; what?: string }) {
  if (error === undefined) return null;
  const missing = error instanceof ApiError && error.status === 404 && error.code === 'NOT_FOUND' && error.message.startsWith('no route');
  return (
    <div class="notice error" role="alert">
      {what !== undefined ? <strong>{what}: </strong> : null}
      {missing ? `this broker's API has no ${error.message.replace('no route ', '')} route yet.` : error.message}
      {error instanceof ApiError ? <code class="code">{error.code}</code> : null}
    </div>
  );
}

export function Note({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'success' | 'warning' }) {
  return (
    <div class={`notice ${kind}`} role="status">
      {children}
    </div>
  );
}
