// Data loading for pages: one loader, its error in plain words, reload on demand and optional polling.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: string;
  reload: () => Promise<void>;
}

export function useLoad<T>(loader: () => Promise<T>, deps: readonly unknown[], pollMs = 0): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState('');
  const loaderRef = useRef(loader);
  loaderRef.current = loader;
  const alive = useRef(true);

  const reload = useCallback(async () => {
    try {
      const value = await loaderRef.current();
      if (!alive.current) return;
      setData(value);
      setError('');
    } catch (failure) {
      if (alive.current) setError(failure instanceof Error ? failure.message : String(failure));
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    void reload();
    // Live pages refresh in the background; a slow answer never overlaps the next poll.
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (pollMs > 0) {
      const tick = async () => {
        await reload();
        if (alive.current) timer = setTimeout(tick, pollMs);
      };
      timer = setTimeout(tick, pollMs);
    }
    return () => {
      alive.current = false;
      if (timer) clearTimeout(timer);
    };
  }, deps);

  return { data, error, reload };
}
