// Data from the API in components: one request per change of its inputs, optionally repeated while
// the tab is visible, older answers dropped when a newer request is on its way.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Ask again now (after a change the page made). */
  reload: () => void;
}

export function useRequest<T>(load: (signal: AbortSignal) => Promise<T>, inputs: readonly unknown[], options: { every?: number } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const run = async (): Promise<void> => {
      controller?.abort();
      const current = new AbortController();
      controller = current;
      setState((previous) => ({ ...previous, loading: true }));
      try {
        const data = await loadRef.current(current.signal);
        if (!current.signal.aborted) setState({ data, error: undefined, loading: false });
      } catch (error) {
        if (!current.signal.aborted) setState((previous) => ({ data: previous.data, error: error as Error, loading: false }));
      }
      if (!stopped && options.every !== undefined) timer = setTimeout(tick, options.every);
    };
    const tick = (): void => {
      // A hidden tab asks nothing; it catches up when shown again.
      if (document.hidden) timer = setTimeout(tick, options.every);
      else void run();
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...inputs, generation, options.every]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { ...state, reload };
}

/** The value, once it has stopped changing for `delay` milliseconds (a search box). */
export function useDebounced<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}
