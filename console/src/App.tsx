import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import type { SessionResponse } from '../../server/api/types.ts';
import { get, onSignedOut, post, setCsrfToken } from './api.ts';
import { ErrorBar, Loading, Notice } from './components.tsx';
import { ApiKeysPage } from './pages/ApiKeys.tsx';
import { BiUsersPage } from './pages/BiUsers.tsx';
import { DataPage } from './pages/Data.tsx';
import { SheetsPage } from './pages/Sheets.tsx';
import { ConnectionsPage } from './pages/Connections.tsx';
import { DivisionsPage } from './pages/Divisions.tsx';
import { LoginPage, SetupPage } from './pages/Login.tsx';
import { NewConnectionPage } from './pages/NewConnection.tsx';
import { RunPage, RunsPage } from './pages/Runs.tsx';
import { TablesPage } from './pages/Tables.tsx';
import { ViewsPage } from './pages/Views.tsx';
import { Header } from './Header.tsx';
import { match, navigate, safeNext, useLocation } from './router.ts';

// The SQL page brings the editor (and, when a chart is shown, ECharts): loaded when it is opened.
const SqlPage = lazy(() => import(/* webpackChunkName: "sql" */ './pages/Sql.tsx'));

/** The console: signs in (or sets the first password), then shows the page the path names. */
export function App() {
  const [session, setSession] = useState<SessionResponse | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const { path, query } = useLocation();

  const refresh = useCallback(async () => {
    try {
      const s = await get<SessionResponse>('/auth/session');
      setCsrfToken(s.csrfToken);
      setSession(s);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    void refresh();
    return onSignedOut(() => void refresh());
  }, [refresh]);

  if (error)
    return (
      <div style={{ padding: 24 }}>
        <ErrorBar error={error} title="The console cannot reach its server" onRetry={() => void refresh()} />
      </div>
    );
  if (!session)
    return (
      <div style={{ padding: 24 }}>
        <Loading />
      </div>
    );

  const signedIn = (s: SessionResponse) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
    navigate(safeNext(query.get('next')), { replace: true });
    // A `next` outside the console (the connect flow) needs the server, not the router.
    if (query.get('next')?.startsWith('/connect/')) location.assign(safeNext(query.get('next')));
  };
  if (!session.signedIn) {
    return session.setupRequired ? (
      <SetupPage onDone={signedIn} />
    ) : (
      <LoginPage demo={session.demo} onDone={signedIn} />
    );
  }
  if (path === '/' || path === '/login' || path === '/setup') {
    navigate('/connections', { replace: true });
    return null;
  }

  const signOut = async () => {
    await post('/auth/logout').catch(() => undefined);
    await refresh();
  };
  return (
    <div>
      <Header path={path} version={session.version} onSignOut={() => void signOut()} />
      <main style={{ maxWidth: 1100, margin: '0 auto', padding: '16px 24px 48px' }}>
        {session.demo ? (
          <div style={{ marginBottom: 16 }}>
            <Notice title="Demo mode">
              No Exact app is configured (EXACT_CLIENT_ID), so the built-in Exact Online sandbox stands in for Exact;
              sign in there as demo / demo.
            </Notice>
          </div>
        ) : null}
        <Page path={path} query={query} />
      </main>
    </div>
  );
}

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  let m: Record<string, string> | undefined;
  if (path === '/connections') return <ConnectionsPage />;
  if (path === '/connections/new') return <NewConnectionPage reconnect={query.get('reconnect')} />;
  if ((m = match('/connections/:id/divisions', path)))
    return (
      <DivisionsPage id={Number(m.id)} connected={query.has('connected')} reconnected={query.has('reconnected')} />
    );
  if ((m = match('/connections/:id/tables', path))) return <TablesPage id={Number(m.id)} />;
  if (path === '/data')
    return (
      <DataPage
        connection={query.get('connection') ? Number(query.get('connection')) : undefined}
        table={query.get('table') ?? undefined}
      />
    );
  if (path === '/sql')
    return (
      <Suspense fallback={<Loading label="Loading the SQL editor…" />}>
        <SqlPage
          connection={query.get('connection') ? Number(query.get('connection')) : undefined}
          queryId={query.get('query') ? Number(query.get('query')) : undefined}
          sql={query.get('sql') ?? undefined}
        />
      </Suspense>
    );
  if (path === '/views') return <ViewsPage />;
  if (path === '/runs') return <RunsPage connection={query.get('connection')} />;
  if ((m = match('/runs/:id', path))) return <RunPage id={Number(m.id)} />;
  if (path === '/api-keys') return <ApiKeysPage />;
  if (path === '/bi-users') return <BiUsersPage />;
  if (path === '/sheets') return <SheetsPage />;
  return (
    <Notice intent="warning" title="No such page">
      There is nothing at {path}. Use the menu above.
    </Notice>
  );
}
