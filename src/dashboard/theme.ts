// Light, dark, or as the system says; the choice is kept in localStorage.

import { Store } from './store.js';

export type Theme = 'auto' | 'light' | 'dark';

function saved(): Theme {
  const value = localStorage.getItem('starling.theme');
  return value === 'light' || value === 'dark' ? value : 'auto';
}

export const theme = new Store<Theme>(saved());

function apply(value: Theme): void {
  if (value === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', value);
}

apply(theme.value);
theme.watch((value) => {
  if (value === 'auto') localStorage.removeItem('starling.theme');
  else localStorage.setItem('starling.theme', value);
  apply(value);
});

/** What the page looks like now (auto resolved). */
export function effectiveTheme(value: Theme): 'light' | 'dark' {
  if (value !== 'auto') return value;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}
