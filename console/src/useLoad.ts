import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Loads data for a page and keeps it fresh: `reload()` after a change, and polling every `pollMs` while
 * `poll(data)` says something is still moving (a sync running). Errors are kept for the page to show.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  options: { pollMs?: number; poll?: (data: T) => boolean } = {},
) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    try {
      const d = await loadRef.current();
      setData(d);
      setError(undefined);
      return d;
    } catch (err) {
      setError(err as Error);
      return undefined;
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    void reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  const polling = data !== undefined && options.poll ? options.poll(data) : false;
  useEffect(() => {
    if (!polling) return;
    const t = setInterval(() => void reload(), options.pollMs ?? 2000);
    return () => clearInterval(t);
  }, [polling, options.pollMs, reload]);

  return { data, error, loading, reload };
}
