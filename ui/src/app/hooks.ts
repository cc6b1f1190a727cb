// Data loading for pages: one loader, its error in plain words, reload on demand and optional polling.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  reload: () => Promise<void>;
}

/**
 * `poll` is a fixed interval, or a function of the last answer giving the delay before the next load (0 stops
 * polling until `reload` is called again, e.g. the Jobs page once nothing is running).
 */
export function useLoad<T>(loader: () => Promise<T>, deps: readonly unknown[], poll: number | ((data: T) => number) = 0): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState('');
  const loaderRef = useRef(loader);
  loaderRef.current = loader;
  const pollRef = useRef(poll);
  pollRef.current = poll;
  const last = useRef<{ value: T } | undefined>(undefined);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const alive = useRef(true);

  const reload = useCallback(async () => {
    // A reload (manual or polled) replaces the pending poll; the next one is planned from its answer.
    clearTimeout(timer.current);
    timer.current = undefined;
    try {
      const value = await loaderRef.current();
      if (!alive.current) return;
      last.current = { value };
      setData(value);
      setError('');
    } catch (failure) {
      if (alive.current) setError(failure instanceof Error ? failure.message : String(failure));
    }
    if (!alive.current) return;
    const policy = pollRef.current;
    // After a failed load, keep the rhythm the last good answer asked for.
    const delay = typeof policy === 'number' ? policy : last.current ? policy(last.current.value) : 0;
    // Live pages refresh in the background; a slow answer never overlaps the next poll.
    if (delay > 0 && timer.current === undefined) timer.current = setTimeout(() => void reload(), delay);
  }, []);

  useEffect(() => {
    alive.current = true;
    void reload();
    return () => {
      alive.current = false;
      clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, deps);

  return { data, error, reload };
}

export interface Action {
  /** The last action's failure, in plain words; cleared when the next one starts. */
  error: string;
  /** Runs `run`, then `reload`s what it changed. */
  act: (run: () => Promise<unknown>) => Promise<void>;
}

/** Buttons that change something and reload: their failure is shown by the page instead of escaping. */
export function useAction(reload: () => Promise<void>): Action {
  const [error, setError] = useState('');
  async function act(run: () => Promise<unknown>): Promise<void> {
    setError('');
    try {
      await run();
      await reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  }
  return { error, act };
}
