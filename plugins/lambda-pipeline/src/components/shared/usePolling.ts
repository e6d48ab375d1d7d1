import {
  DependencyList,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';

export type Polled<T> = {
  /** The newest value loaded; kept while a refresh runs or after one fails. */
  value?: T;
  /** The newest failure; cleared by the next success. */
  error?: Error;
  /** Only true until the first answer (success or failure): no flicker on refresh. */
  loading: boolean;
  /** When `value` was loaded. */
  updatedAt?: Date;
  /** Load again now (and restart the interval). */
  retry: () => void;
};

/**
 * Loads on mount and then every `intervalMs`, one call at a time. A refresh
 * keeps the previous value on screen (no spinner, no flicker), a failed
 * refresh keeps it too and reports the error beside it. Hidden tabs skip
 * their refreshes.
 */
export function usePolling<T>(
  load: () => Promise<T>,
  intervalMs: number,
  deps: DependencyList,
): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'retry'>>({
    loading: true,
  });
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (typeof document !== 'undefined' && document.hidden) {
        timer = setTimeout(run, intervalMs);
        return;
      }
      try {
        const value = await loadRef.current();
        if (!cancelled)
          setState({ value, loading: false, updatedAt: new Date() });
      } catch (error) {
        if (!cancelled)
          setState(s => ({ ...s, error: error as Error, loading: false }));
      }
      if (!cancelled) timer = setTimeout(run, intervalMs);
    };
    run();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [intervalMs, round, ...deps]);

  const retry = useCallback(() => setRound(r => r + 1), []);
  return { ...state, retry };
}
