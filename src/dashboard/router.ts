// Routes in the address bar (history API): /clients/abc survives a reload because the server answers
// every non-API path with the page. Links are plain <a href> elements; clicks on them are kept in the page.

import { Store } from './store.js';

export const location = new Store<string>(window.location.pathname + window.location.search);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.value) return;
  if (options.replace === true) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  location.set(to);
}

window.addEventListener('popstate', () => location.set(window.location.pathname + window.location.search));

// Same-origin <a href> clicks navigate inside the page (new tabs, downloads and modified clicks are left alone).
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (anchor === null || anchor === undefined || anchor.target !== '' || anchor.hasAttribute('download')) return;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.startsWith('/api')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

export function pathOf(route: string): string {
  return route.split('?', 1)[0]!;
}

export function searchOf(route: string): URLSearchParams {
  const index = route.indexOf('?');
  return new URLSearchParams(index < 0 ? '' : route.slice(index + 1));
}

/** `/clients/:id` against `/clients/a%2Fb` → `{id: 'a/b'}`; undefined when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < want.length; index++) {
    const part = want[index]!;
    const value = have[index]!;
    if (part.startsWith(':')) {
      if (value === '') return undefined;
      params[part.slice(1)] = decodeURIComponent(value);
    } else if (part !== value) return undefined;
  }
  return params;
}
