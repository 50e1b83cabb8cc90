import { useCallback, useEffect, useRef, useState } from 'react';
import type { QueryResult } from '../../server/api/types.ts';
import { ApiError, call, send } from './api.ts';

/**
 * Running SQL from the console through POST /api/v1/query (the read-only role and limits every client
 * gets): one run at a time, a new run or a cancel aborts the one before (the server then cancels it in
 * PostgreSQL), and a download of the whole result as CSV or JSON the same way.
 */

export interface RunState {
  status: 'idle' | 'running' | 'done' | 'failed';
  /** What is running: a result to show, or a download. */
  what?: 'rows' | 'download';
  result?: QueryResult;
  /** More rows than asked for exist (the result ended with row_limit). */
  more?: boolean;
  maxRows?: number;
  error?: ApiError;
  ms?: number;
}

export function useQueryRun() {
  const [state, setState] = useState<RunState>({ status: 'idle' });
  const current = useRef<AbortController | null>(null);
  useEffect(() => () => current.current?.abort(), []);

  const start = () => {
    current.current?.abort();
    const abort = new AbortController();
    current.current = abort;
    return abort;
  };
  const failed = (abort: AbortController, err: unknown, what: RunState['what']) => {
    if (current.current !== abort) return;
    const error = err instanceof ApiError ? err : new ApiError(0, 'failed', String(err));
    setState({ status: 'failed', what, error });
  };

  const run = useCallback(async (sql: string, connection: number, maxRows: number): Promise<RunState> => {
    const abort = start();
    const began = performance.now();
    setState((s) => ({ ...s, status: 'running', what: 'rows', maxRows }));
    try {
      const result = await call<QueryResult>(
        'POST',
        '/api/v1/query',
        { sql, connection, format: 'json', maxRows },
        abort.signal,
      );
      const more = result.error?.code === 'row_limit';
      if (result.error && !more) throw new ApiError(200, result.error.code, result.error.message);
      const done: RunState = { status: 'done', result, more, maxRows, ms: performance.now() - began };
      if (current.current === abort) setState(done);
      return done;
    } catch (err) {
      failed(abort, err, 'rows');
      return { status: 'failed', error: err instanceof ApiError ? err : new ApiError(0, 'failed', String(err)) };
    }
  }, []);

  /** The whole result as a file the browser saves (`exact-sync.csv` / `.json`). */
  const download = useCallback(async (sql: string, connection: number, format: 'csv' | 'json') => {
    const abort = start();
    setState((s) => ({ ...s, status: 'running', what: 'download' }));
    try {
      const res = await send('POST', '/api/v1/query', { sql, connection, format }, abort.signal, '*/*');
      const blob = await res.blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `exact-sync-query.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      if (current.current === abort) setState((s) => ({ ...s, status: s.result ? 'done' : 'idle', what: 'rows' }));
    } catch (err) {
      failed(abort, err, 'download');
    }
  }, []);

  const cancel = useCallback(() => {
    current.current?.abort();
    current.current = null;
    setState((s) => ({
      ...s,
      status: 'failed',
      error: new ApiError(0, 'cancelled', 'Cancelled: the query was stopped.'),
    }));
  }, []);

  return { state, run, download, cancel };
}
