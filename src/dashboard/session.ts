// Who is logged in: the token from POST /api/v5/login, kept in sessionStorage (one browser tab, gone
// when the tab closes, survives a reload), refreshed a minute before it expires, forgotten on logout,
// on expiry, and when the API says it is no longer valid.

import { Store } from './store.js';

export interface Session {
  token: string;
  username: string;
  role: 'administrator' | 'viewer';
  /** Milliseconds since the epoch. */
  expiresAt: number;
  version: string;
}

const STORAGE_KEY = 'starling.session';
const REFRESH_BEFORE_MS = 60_000;

function restore(): Session | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    return saved !== null && saved.expiresAt > Date.now() ? saved : undefined;
  } catch {
    return undefined;
  }
}

export const session = new Store<Session | undefined>(restore());
/** Why the last session ended, shown on the login page ("Your session expired"). */
export const sessionEnded = new Store<string | undefined>(undefined);

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

export function startSession(started: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(started));
  sessionEnded.set(undefined);
  session.set(started);
  scheduleRefresh(started);
}

export function endSession(reason?: string): void {
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(STORAGE_KEY);
  sessionEnded.set(reason);
  session.set(undefined);
}

export function canWrite(current: Session | undefined): boolean {
  return current?.role === 'administrator';
}

/** Set by api.ts (which imports this module) to trade the token for a fresh one. */
export const refresher: { refresh?: () => Promise<void> } = {};

function scheduleRefresh(current: Session): void {
  clearTimeout(refreshTimer);
  const delay = Math.max(1_000, current.expiresAt - Date.now() - REFRESH_BEFORE_MS);
  refreshTimer = setTimeout(() => {
    refresher.refresh?.().catch(() => endSession('Your session expired: log in again.'));
  }, Math.min(delay, 2 ** 31 - 1));
}

if (session.value !== undefined) scheduleRefresh(session.value);
