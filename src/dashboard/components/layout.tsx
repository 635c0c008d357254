// The frame around every page once logged in: the navigation, who is logged in (and as what), the
// theme switch and logout.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { logOut } from '../api.js';
import { location, pathOf } from '../router.js';
import { session } from '../session.js';
import { useStore } from '../store.js';
import { effectiveTheme, theme } from '../theme.js';

/** The icon, beside this build's modules (their URLs carry the build id). */
const ICON = new URL('../../public/favicon.svg', import.meta.url).pathname;

interface NavItem {
  href: string;
  label: string;
}

export const NAVIGATION: Array<{ group: string; items: NavItem[] }> = [
  { group: 'Broker', items: [{ href: '/', label: 'Overview' }, { href: '/clients', label: 'Clients' }, { href: '/subscriptions', label: 'Subscriptions' }, { href: '/topics', label: 'Topics' }, { href: '/retained', label: 'Retained' }, { href: '/shared', label: 'Shared groups' }] },
  { group: 'Access', items: [{ href: '/access/users', label: 'MQTT users' }, { href: '/access/acl', label: 'ACL rules' }, { href: '/access/bans', label: 'Bans' }, { href: '/access/admins', label: 'Administrators' }, { href: '/access/api-keys', label: 'API keys' }] },
  { group: 'Tools', items: [{ href: '/rules', label: 'Rules' }, { href: '/connectors', label: 'Connectors' }, { href: '/mqtt', label: 'MQTT client' }, { href: '/settings', label: 'Settings' }] },
];

function isCurrent(href: string, path: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

export function Layout({ children }: { children: ComponentChildren }) {
  const current = useStore(session);
  const path = pathOf(useStore(location));
  const chosenTheme = useStore(theme);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  const shown = effectiveTheme(chosenTheme);
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <button type="button" class="button plain menu-toggle" aria-expanded={menuOpen} aria-controls="navigation" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <a class="brand" href="/">
          <img src={ICON} alt="" width={22} height={22} />
          <span class="brand-name">Starling</span>
          {current !== undefined ? <span class="version">{current.version}</span> : null}
        </a>
        <div class="topbar-right">
          <button
            type="button"
            class="button plain"
            aria-label={`Theme: ${chosenTheme}. Switch to ${shown === 'dark' ? 'light' : 'dark'}`}
            onClick={() => theme.set(shown === 'dark' ? 'light' : 'dark')}
          >
            <span aria-hidden="true">{shown === 'dark' ? '☀' : '☾'}</span>
            <span class="theme-label">{shown === 'dark' ? 'Light' : 'Dark'}</span>
          </button>
          {current !== undefined ? (
            <span class="who">
              <span class="username">{current.username}</span>
              <span class={`badge ${current.role}`}>{current.role}</span>
            </span>
          ) : null}
          <button type="button" class="button plain" onClick={() => void logOut()}>
            Log out
          </button>
        </div>
      </header>
      <nav id="navigation" class={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Pages">
        {NAVIGATION.map((section) => (
          <div key={section.group} class="nav-group">
            <h2 class="nav-heading">{section.group}</h2>
            <ul>
              {section.items.map((item) => (
                <li key={item.href}>
                  <a href={item.href} aria-current={isCurrent(item.href, path) ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Starling`;
  }, [title]);
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children !== undefined ? <div class="page-actions">{children}</div> : null}
    </div>
  );
}
