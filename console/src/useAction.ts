import { useCallback, useState } from 'react';

/**
 * A button's work: `run(fn)` marks it busy, clears the last error, and keeps the error `fn` throws for
 * the page to show (an ErrorBar), never only in the console.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error };
}
