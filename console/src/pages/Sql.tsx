import {
  Button,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Select,
  Tab,
  TabList,
  Text,
} from '@fluentui/react-components';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import type {
  ConnectionsResponse,
  PublishedViewInfo,
  QueryResult,
  SavedChart,
  SavedQueriesResponse,
  SavedQueryInfo,
  WarehouseTablesResponse,
} from '../../../server/api/types.ts';
import { get } from '../api.ts';
import { ErrorBar, Loading, NavLink, Notice, PageTitle } from '../components.tsx';
import { DataTable } from '../DataTable.tsx';
import { count } from '../format.ts';
import { navigate } from '../router.ts';
import { SqlEditor } from '../SqlEditor.tsx';
import { addToHistory, parseHistory, type HistoryEntry, type SqlSchema } from '../sqlText.ts';
import { useLoad } from '../useLoad.ts';
import { useQueryRun, type RunState } from '../useQueryRun.ts';
import { PublishViewDialog } from './PublishViewDialog.tsx';
import { SaveQueryDialog } from './SaveQueryDialog.tsx';

// ECharts is large: it loads when a chart is first shown, not with the editor.
const ChartPanel = lazy(() => import(/* webpackChunkName: "charts" */ './ChartPanel.tsx'));

/** Rows shown first; "More rows" asks again for ten times as many, up to the largest step. */
const STEPS = [1_000, 10_000, 100_000];
const PAGE = 100;
const HISTORY_KEY = 'exact-sync.sql.history';
const DRAFT_KEY = 'exact-sync.sql.draft';

/**
 * The SQL page: an editor that completes the warehouse's names, Ctrl+Enter runs the query under the
 * read-only rules of POST /api/v1/query, the result in a grid (a page at a time) or a chart, errors
 * marked where PostgreSQL stopped; cancel, history (this browser), saved queries, downloads.
 */
export default function SqlPage({
  connection,
  queryId,
  sql: given,
}: {
  connection: number | undefined;
  queryId: number | undefined;
  sql: string | undefined;
}) {
  const connections = useLoad(() => get<ConnectionsResponse>('/api/v1/connections'), []);
  const saved = useLoad(
    () => (queryId ? get<SavedQueryInfo>(`/api/v1/queries/${queryId}`) : Promise.resolve(undefined)),
    [queryId],
  );
  const id = connection ?? saved.data?.connectionId ?? connections.data?.connections[0]?.id;
  const tables = useLoad(
    () =>
      id === undefined ? Promise.resolve(undefined) : get<WarehouseTablesResponse>(`/api/v1/tables?connection=${id}`),
    [id],
  );
  const schema = useMemo<SqlSchema>(
    () => Object.fromEntries((tables.data?.tables ?? []).map((t) => [t.name, t.columns])),
    [tables.data],
  );

  if (connections.error) return <ErrorBar error={connections.error} onRetry={() => void connections.reload()} />;
  if (saved.error) return <ErrorBar error={saved.error} title="The saved query could not be opened" />;
  if (!connections.data || (queryId && !saved.data)) return <Loading />;
  if (id === undefined)
    return (
      <Notice title="No data yet">
        Connect Exact Online first (Connections); its tables can be queried here after a sync.
      </Notice>
    );
  return (
    <Workbench
      key={`${queryId ?? ''}`}
      connection={id}
      connections={connections.data}
      schema={schema}
      opened={saved.data}
      initialSql={given ?? saved.data?.sql ?? localStorage.getItem(DRAFT_KEY) ?? ''}
    />
  );
}

/** What ran, in this browser (the last 50; the server keeps no one's drafts). */
function useHistory() {
  const [history, setHistory] = useState<HistoryEntry[]>(() => parseHistory(localStorage.getItem(HISTORY_KEY)));
  const remember = (entry: HistoryEntry) =>
    setHistory((h) => {
      const next = addToHistory(h, entry);
      localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
      return next;
    });
  return { history, remember };
}

function Workbench({
  connection,
  connections,
  schema,
  opened,
  initialSql,
}: {
  connection: number;
  connections: ConnectionsResponse;
  schema: SqlSchema;
  /** The saved query opened (its result is shown at once), if any. */
  opened: SavedQueryInfo | undefined;
  initialSql: string;
}) {
  const [text, setText] = useState(initialSql);
  const [saved, setSaved] = useState(opened);
  const [chart, setChart] = useState<SavedChart | undefined>(saved?.chart ?? undefined);
  const [tab, setTab] = useState<'table' | 'chart'>(saved?.chart ? 'chart' : 'table');
  const { history, remember } = useHistory();
  const { state, run, download, cancel } = useQueryRun();

  useEffect(() => localStorage.setItem(DRAFT_KEY, text), [text]);
  const execute = async (maxRows = STEPS[0]!) => {
    if (!text.trim() || state.status === 'running') return;
    const done = await run(text, connection, maxRows);
    if (done.error?.code === 'cancelled') return;
    const outcome = done.result ? `${count(done.result.rows.length)}${done.more ? '+' : ''} rows` : done.error!.code;
    remember({ sql: text, connection, at: new Date().toISOString(), outcome });
  };
  // A saved query opens with its result (and chart) shown.
  useEffect(() => {
    if (opened) void execute();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const onSaved = (q: SavedQueryInfo) => {
    setSaved(q);
    // The address names the saved query now; the page stays as it is (result, chart, history).
    window.history.replaceState(null, '', `/sql?query=${q.id}`);
  };

  return (
    <div>
      <PageTitle
        actions={
          <>
            <SaveAndPublish saved={saved} sql={text} connection={connection} chart={chart} onSaved={onSaved} />
            <SavedMenu />
            <ConnectionPicker connections={connections} value={connection} queryId={saved?.id} text={text} />
          </>
        }
      >
        {saved ? `SQL · ${saved.name}` : 'SQL'}
      </PageTitle>
      <SqlEditor value={text} onChange={setText} onRun={() => void execute()} schema={schema} error={markOf(state)} />
      <Toolbar
        state={state}
        empty={!text.trim()}
        history={history}
        onRun={() => void execute()}
        onCancel={cancel}
        onDownload={(f) => void download(text, connection, f)}
        onPick={(h) => setText(h.sql)}
      />
      <Result
        state={state}
        tab={tab}
        onTab={setTab}
        chart={chart}
        onChart={setChart}
        onMore={(maxRows) => void execute(maxRows)}
      />
    </div>
  );
}

/**
 * Save (the SQL and its chart, as a saved query) and Publish (a saved query as a view in the reports
 * schema), each through its dialog; what was published is said under the title.
 */
function SaveAndPublish({
  saved,
  sql,
  connection,
  chart,
  onSaved,
}: {
  saved: SavedQueryInfo | undefined;
  sql: string;
  connection: number;
  chart: SavedChart | undefined;
  onSaved: (q: SavedQueryInfo) => void;
}) {
  const [dialog, setDialog] = useState<'save' | 'publish' | undefined>(undefined);
  const [published, setPublished] = useState<PublishedViewInfo | undefined>(undefined);
  return (
    <>
      <Button disabled={!sql.trim()} onClick={() => setDialog('save')}>
        Save…
      </Button>
      <Button
        disabled={!saved || saved.sql !== sql}
        title={!saved ? 'Save the query first' : saved.sql !== sql ? 'Save the changes first' : undefined}
        onClick={() => setDialog('publish')}
      >
        Publish…
      </Button>
      {published ? (
        <Text data-published>
          Published as <NavLink to="/views">reports.{published.name}</NavLink>
        </Text>
      ) : null}
      {dialog === 'save' ? (
        <SaveQueryDialog
          saved={saved}
          sql={sql}
          connection={connection}
          chart={chart}
          onClose={() => setDialog(undefined)}
          onSaved={(q) => {
            setDialog(undefined);
            onSaved(q);
          }}
        />
      ) : null}
      {dialog === 'publish' && saved ? (
        <PublishViewDialog
          saved={saved}
          onClose={() => setDialog(undefined)}
          onPublished={(v) => {
            setDialog(undefined);
            setPublished(v);
          }}
        />
      ) : null}
    </>
  );
}

/** The saved queries, to open one (its SQL, connection and chart). */
function SavedMenu() {
  const list = useLoad(() => get<SavedQueriesResponse>('/api/v1/queries'), []);
  const queries = list.data?.queries ?? [];
  return (
    // Read again on each opening: one saved a moment ago is there.
    <Menu onOpenChange={(_e, d) => (d.open ? void list.reload() : undefined)}>
      <MenuTrigger disableButtonEnhancement>
        <Button>Saved queries</Button>
      </MenuTrigger>
      <MenuPopover style={{ maxHeight: '60vh', overflowY: 'auto' }}>
        <MenuList>
          {queries.map((q) => (
            <MenuItem key={q.id} onClick={() => navigate(`/sql?query=${q.id}`)} secondaryContent={q.chart?.type}>
              {q.name}
            </MenuItem>
          ))}
          {list.data && queries.length === 0 ? <MenuItem disabled>No saved queries yet</MenuItem> : null}
        </MenuList>
      </MenuPopover>
    </Menu>
  );
}

function ConnectionPicker({
  connections,
  value,
  queryId,
  text,
}: {
  connections: ConnectionsResponse;
  value: number;
  queryId: number | undefined;
  text: string;
}) {
  if (connections.connections.length < 2) return null;
  const go = (c: string) =>
    navigate(
      `/sql?${new URLSearchParams({ connection: c, ...(queryId ? { query: String(queryId) } : { sql: text }) })}`,
    );
  return (
    <Select aria-label="Connection" value={String(value)} onChange={(_e, d) => go(d.value)}>
      {connections.connections.map((c) => (
        <option key={c.id} value={c.id}>
          {c.exactUserName ?? `Connection ${c.id}`} ({c.warehouseSchema})
        </option>
      ))}
    </Select>
  );
}

function Toolbar({
  state,
  empty,
  history,
  onRun,
  onCancel,
  onDownload,
  onPick,
}: {
  state: RunState;
  empty: boolean;
  history: HistoryEntry[];
  onRun: () => void;
  onCancel: () => void;
  onDownload: (format: 'csv' | 'json') => void;
  onPick: (entry: HistoryEntry) => void;
}) {
  const running = state.status === 'running';
  return (
    <div style={{ display: 'flex', gap: 8, alignItems: 'center', margin: '8px 0', flexWrap: 'wrap' }}>
      <Button appearance="primary" disabled={running || empty} onClick={onRun}>
        Run (Ctrl+Enter)
      </Button>
      <Button disabled={!running} onClick={onCancel}>
        Cancel
      </Button>
      <Menu>
        <MenuTrigger disableButtonEnhancement>
          <Button disabled={history.length === 0}>History</Button>
        </MenuTrigger>
        <MenuPopover style={{ maxHeight: '60vh', overflowY: 'auto', maxWidth: 640 }}>
          <MenuList>
            {history.map((h) => (
              <MenuItem key={`${h.connection}:${h.at}`} onClick={() => onPick(h)} secondaryContent={h.outcome}>
                <span style={{ fontFamily: 'monospace' }}>{h.sql.replace(/\s+/g, ' ').slice(0, 90)}</span>
              </MenuItem>
            ))}
          </MenuList>
        </MenuPopover>
      </Menu>
      <Button disabled={running || empty} onClick={() => onDownload('csv')}>
        Download CSV
      </Button>
      <Button disabled={running || empty} onClick={() => onDownload('json')}>
        Download JSON
      </Button>
      <Text aria-live="polite" data-run-status>
        {statusText(state)}
      </Text>
    </div>
  );
}

/** The error to mark in the editor: one PostgreSQL placed. */
function markOf(state: RunState): { position: number; message: string } | undefined {
  const position = state.status === 'failed' ? state.error?.position : undefined;
  return position !== undefined ? { position, message: state.error!.message } : undefined;
}

function statusText(state: RunState): string {
  if (state.status === 'running') return state.what === 'download' ? 'Downloading…' : 'Running…';
  if (state.status === 'done' && state.result)
    return `${count(state.result.rows.length)}${state.more ? '+' : ''} rows in ${((state.ms ?? 0) / 1000).toFixed(2)} s`;
  return '';
}

function Result({
  state,
  tab,
  onTab,
  chart,
  onChart,
  onMore,
}: {
  state: RunState;
  tab: 'table' | 'chart';
  onTab: (tab: 'table' | 'chart') => void;
  chart: SavedChart | undefined;
  onChart: (chart: SavedChart | undefined) => void;
  onMore: (maxRows: number) => void;
}) {
  if (state.status === 'failed' && state.error)
    return (
      <ErrorBar error={state.error} title={state.error.code === 'cancelled' ? 'Cancelled' : 'The query did not run'} />
    );
  const result = state.result;
  if (!result) return null;
  const next = STEPS.find((s) => s > (state.maxRows ?? 0));
  return (
    <div>
      {state.more ? (
        <Notice intent="warning" title={`The first ${count(state.maxRows ?? 0)} rows`}>
          The result has more.{' '}
          {next ? (
            <Button size="small" onClick={() => onMore(next)}>
              Show up to {count(next)}
            </Button>
          ) : null}{' '}
          Download CSV or JSON for all of it, or narrow it with WHERE or an aggregate.
        </Notice>
      ) : null}
      <TabList selectedValue={tab} onTabSelect={(_e, d) => onTab(d.value as 'table' | 'chart')}>
        <Tab value="table">Table</Tab>
        <Tab value="chart">Chart</Tab>
      </TabList>
      {tab === 'table' ? (
        <PagedRows key={state.ms} result={result} />
      ) : (
        <Suspense fallback={<Loading label="Loading charts…" />}>
          <ChartPanel result={result} chart={chart} onChange={onChart} />
        </Suspense>
      )}
    </div>
  );
}

/** The rows fetched, a page of 100 at a time. */
function PagedRows({ result }: { result: QueryResult }) {
  const [page, setPage] = useState(0);
  const last = Math.max(0, Math.ceil(result.rows.length / PAGE) - 1);
  const rows = result.rows.slice(page * PAGE, page * PAGE + PAGE);
  return (
    <div style={{ marginTop: 8 }}>
      <DataTable label="Result" columns={result.columns} resultColumns={result.columns} rows={rows} />
      <div style={{ display: 'flex', gap: 8, alignItems: 'center', marginTop: 8 }}>
        <Button disabled={page === 0} onClick={() => setPage(0)}>
          First page
        </Button>
        <Button disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </Button>
        <Button disabled={page >= last} onClick={() => setPage(page + 1)}>
          Next
        </Button>
        <Button disabled={page >= last} onClick={() => setPage(last)}>
          Last page
        </Button>
        <Text data-page-status>
          {rows.length
            ? `Rows ${count(page * PAGE + 1)}–${count(page * PAGE + rows.length)} of ${count(result.rows.length)}`
            : 'No rows'}
        </Text>
      </div>
    </div>
  );
}
