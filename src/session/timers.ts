// setTimeout for delays beyond Node's 2^31-1 ms limit (session expiry may be up to ~136 years).

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function setLongTimeout(callback: () => void, delayMs: number): NodeJS.Timeout {
  if (delayMs <= MAX_TIMEOUT_MS) return setTimeout(callback, delayMs).unref();
  const handle = setTimeout(() => {
    const next = setLongTimeout(callback, delayMs - MAX_TIMEOUT_MS);
    // Keep one handle for clearTimeout by swapping the new timer's identity into the old object.
    Object.assign(handle, { chained: next });
  }, MAX_TIMEOUT_MS).unref();
  return handle;
}

export function clearLongTimeout(handle: NodeJS.Timeout | undefined): void {
  if (handle === undefined) return;
  clearTimeout(handle);
  const chained = (handle as NodeJS.Timeout & { chained?: NodeJS.Timeout }).chained;
  if (chained !== undefined) clearLongTimeout(chained);
}
