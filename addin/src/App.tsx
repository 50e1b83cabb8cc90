import {
  Button,
  Field,
  FluentProvider,
  Input,
  MessageBar,
  MessageBarBody,
  ProgressBar,
  Radio,
  RadioGroup,
  Select,
  Tab,
  TabList,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Textarea,
  Title3,
  webLightTheme,
} from '@fluentui/react-components';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { QueryResult, SavedQueryInfo } from '../../server/api/types.ts';
import {
  listSavedQueries,
  listTables,
  previewQuery,
  testConnection,
  type Connection,
  type WarehouseTableInfo,
} from './api.ts';
import { CancelledError, type BoundTable, type TableSource } from './excel/tables.ts';
import { insert, refresh, workbookTables } from './workbook.ts';

/**
 * The task pane: connect (server URL and API key, kept in the add-in's storage, never in the workbook),
 * then insert a warehouse table or a query's result, and refresh what the workbook holds. All Excel work
 * is in ./excel and ./workbook.ts.
 */

const URL_KEY = 'exact-sync.serverUrl';
const KEY_KEY = 'exact-sync.apiKey';

type Message = { intent: 'success' | 'error' | 'info' | 'warning'; text: string };
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'unknown';

export function App() {
  const [connection, setConnection] = useState<Connection>(() => ({
    serverUrl: localStorage.getItem(URL_KEY) ?? window.location.origin,
    apiKey: localStorage.getItem(KEY_KEY) ?? '',
  }));
  const [connected, setConnected] = useState(false);
  const [tab, setTab] = useState<'tables' | 'sql' | 'workbook'>('tables');
  const [message, setMessage] = useState<Message | undefined>();
  const [progress, setProgress] = useState<{ done: number; total: number } | undefined>();
  const cancel = useRef(false);

  const connect = async (c: Connection) => {
    setMessage(undefined);
    try {
      await testConnection(c);
      localStorage.setItem(URL_KEY, c.serverUrl);
      localStorage.setItem(KEY_KEY, c.apiKey);
      setConnected(true);
      setMessage({ intent: 'success', text: `Connected to ${new URL(c.serverUrl).host}.` });
    } catch (err) {
      setConnected(false);
      setMessage({ intent: 'error', text: messageOf(err) });
    }
  };
  useEffect(() => {
    if (connection.apiKey) void connect(connection);
    // Only on opening: a saved connection is tried once.
  }, []);

  /** Runs a write with the progress bar and the cancel button; its outcome goes to the message bar. */
  const write = async (what: () => Promise<string>) => {
    cancel.current = false;
    setMessage(undefined);
    setProgress({ done: 0, total: 1 });
    try {
      setMessage({ intent: 'success', text: await what() });
    } catch (err) {
      setMessage(
        err instanceof CancelledError
          ? { intent: 'warning', text: 'Cancelled: nothing was inserted.' }
          : { intent: 'error', text: messageOf(err) },
      );
    } finally {
      setProgress(undefined);
    }
  };
  const control = {
    onProgress: (done: number, total: number) => setProgress({ done, total }),
    cancelled: () => cancel.current,
  };

  return (
    <FluentProvider
      theme={webLightTheme}
      style={{
        padding: 12,
        display: 'flex',
        flexDirection: 'column',
        gap: 10,
        minHeight: '100vh',
        boxSizing: 'border-box',
      }}
    >
      <Title3 as="h1">exact-sync</Title3>
      {!connected ? (
        <ConnectForm
          initial={connection}
          onConnect={(c) => {
            setConnection(c);
            void connect(c);
          }}
        />
      ) : null}
      {message ? (
        <MessageBar intent={message.intent} data-message={message.intent}>
          <MessageBarBody>{message.text}</MessageBarBody>
        </MessageBar>
      ) : null}
      {progress ? (
        <div data-progress>
          <ProgressBar value={progress.total ? progress.done / progress.total : 0} />
          <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
            <Text size={200}>
              {progress.done.toLocaleString()} of {progress.total.toLocaleString()} rows
            </Text>
            <Button
              size="small"
              onClick={() => {
                cancel.current = true;
              }}
            >
              Cancel
            </Button>
          </div>
        </div>
      ) : null}
      {connected ? (
        <>
          <TabList selectedValue={tab} onTabSelect={(_e, d) => setTab(d.value as typeof tab)} size="small">
            <Tab value="tables">Tables</Tab>
            <Tab value="sql">SQL</Tab>
            <Tab value="workbook">In this workbook</Tab>
          </TabList>
          {tab === 'tables' ? (
            <TablesTab
              connection={connection}
              busy={!!progress}
              onInsert={(source, target) =>
                write(async () => {
                  const b = await insert(connection, source, { name: source.table!, ...target }, control);
                  return `Inserted ${b.rows.toLocaleString()} rows as table ${b.name}.`;
                })
              }
            />
          ) : null}
          {tab === 'sql' ? (
            <SqlTab
              connection={connection}
              busy={!!progress}
              onInsert={(source, name, target) =>
                write(async () => {
                  const b = await insert(connection, source, { name, ...target }, control);
                  return `Inserted ${b.rows.toLocaleString()} rows as table ${b.name}.`;
                })
              }
            />
          ) : null}
          {tab === 'workbook' ? (
            <WorkbookTab
              busy={!!progress}
              onRefresh={(names) =>
                write(async () => {
                  const outcomes = await refresh(connection, names, control);
                  const failed = outcomes.filter((o) => !o.ok);
                  if (outcomes.length === 0) return 'There are no exact-sync tables in this workbook yet.';
                  if (failed.length) throw new Error(failed.map((f) => `${f.name}: ${f.message}`).join(' '));
                  return `Refreshed ${outcomes.map((o) => `${o.name} (${o.rows?.toLocaleString()} rows)`).join(', ')}.`;
                })
              }
            />
          ) : null}
          <Button appearance="subtle" size="small" onClick={() => setConnected(false)}>
            Change server or key
          </Button>
        </>
      ) : null}
    </FluentProvider>
  );
}

function ConnectForm({ initial, onConnect }: { initial: Connection; onConnect: (c: Connection) => void }) {
  const [serverUrl, setServerUrl] = useState(initial.serverUrl);
  const [apiKey, setApiKey] = useState(initial.apiKey);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onConnect({ serverUrl: serverUrl.trim(), apiKey: apiKey.trim() });
      }}
      style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
    >
      <Field label="Server URL">
        <Input name="server-url" value={serverUrl} onChange={(_e, d) => setServerUrl(d.value)} />
      </Field>
      <Field
        label="API key"
        hint="Made in the exact-sync console under API keys. Kept in this add-in, never in the workbook."
      >
        <Input name="api-key" type="password" value={apiKey} onChange={(_e, d) => setApiKey(d.value)} />
      </Field>
      <Button appearance="primary" type="submit">
        Connect
      </Button>
    </form>
  );
}

type Target = { newSheet?: string };
function TargetChoice({
  value,
  onChange,
  sheetName,
}: {
  value: 'new' | 'here';
  onChange: (v: 'new' | 'here') => void;
  sheetName: string;
}) {
  return (
    <RadioGroup value={value} onChange={(_e, d) => onChange(d.value as 'new' | 'here')}>
      <Radio value="new" label={`New worksheet (${sheetName})`} />
      <Radio value="here" label="At the selected cell" />
    </RadioGroup>
  );
}

function TablesTab({
  connection,
  busy,
  onInsert,
}: {
  connection: Connection;
  busy: boolean;
  onInsert: (s: TableSource, t: Target) => void;
}) {
  const [tables, setTables] = useState<WarehouseTableInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [search, setSearch] = useState('');
  const [chosen, setChosen] = useState<string | undefined>();
  const [columns, setColumns] = useState('');
  const [filters, setFilters] = useState('');
  const [where, setWhere] = useState<'new' | 'here'>('new');
  useEffect(() => {
    listTables(connection).then(setTables, (e: unknown) => setError(messageOf(e)));
  }, [connection]);
  const shown = useMemo(
    () => (tables ?? []).filter((t) => `${t.name} ${t.title ?? ''}`.toLowerCase().includes(search.toLowerCase())),
    [tables, search],
  );
  if (error)
    return (
      <MessageBar intent="error">
        <MessageBarBody>{error}</MessageBarBody>
      </MessageBar>
    );
  if (!tables) return <Text>Loading tables…</Text>;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      <Input
        placeholder="Search tables"
        value={search}
        onChange={(_e, d) => setSearch(d.value)}
        aria-label="Search tables"
      />
      <Table size="extra-small" aria-label="Warehouse tables">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Table</TableHeaderCell>
            <TableHeaderCell>Rows</TableHeaderCell>
            <TableHeaderCell>Synced</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {shown.map((t) => (
            <TableRow
              key={t.name}
              data-table={t.name}
              onClick={() => setChosen(t.name)}
              style={{ cursor: 'pointer', background: chosen === t.name ? '#ebf3fc' : undefined }}
              aria-selected={chosen === t.name}
            >
              <TableCell>
                <Text weight={chosen === t.name ? 'semibold' : 'regular'}>{t.name}</Text>
              </TableCell>
              <TableCell>
                {t.rowsEstimated ? '≈' : ''}
                {t.rows.toLocaleString()}
              </TableCell>
              <TableCell>{t.lastSyncAt ? when(t.lastSyncAt) : 'never'}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {chosen ? (
        <>
          <Field label="Columns" hint="Comma-separated; empty for all.">
            <Input name="columns" value={columns} onChange={(_e, d) => setColumns(d.value)} />
          </Field>
          <Field
            label="Filters"
            hint="One per line: column:op:value, op one of eq ne lt le gt ge like ilike in null notnull."
          >
            <Textarea name="filters" value={filters} onChange={(_e, d) => setFilters(d.value)} />
          </Field>
          <TargetChoice value={where} onChange={setWhere} sheetName={chosen} />
          <Button
            appearance="primary"
            disabled={busy}
            onClick={() =>
              onInsert(
                {
                  kind: 'table',
                  table: chosen,
                  ...(columns.trim()
                    ? {
                        columns: columns
                          .split(',')
                          .map((c) => c.trim())
                          .filter(Boolean),
                      }
                    : {}),
                  ...(filters.trim()
                    ? {
                        filters: filters
                          .split('\n')
                          .map((f) => f.trim())
                          .filter(Boolean),
                      }
                    : {}),
                },
                where === 'new' ? { newSheet: chosen } : {},
              )
            }
          >
            Insert {chosen}
          </Button>
        </>
      ) : (
        <Text size={200}>Pick a table to insert.</Text>
      )}
    </div>
  );
}

function SqlTab({
  connection,
  busy,
  onInsert,
}: {
  connection: Connection;
  busy: boolean;
  onInsert: (s: TableSource, name: string, t: Target) => void;
}) {
  const [saved, setSaved] = useState<SavedQueryInfo[]>([]);
  const [sql, setSql] = useState('');
  const [name, setName] = useState('Query');
  const [preview, setPreview] = useState<QueryResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [where, setWhere] = useState<'new' | 'here'>('new');
  useEffect(() => {
    listSavedQueries(connection).then(setSaved, () => setSaved([]));
  }, [connection]);
  const show = useCallback(async () => {
    setError(undefined);
    setPreview(undefined);
    try {
      setPreview(await previewQuery(connection, sql));
    } catch (e) {
      setError(messageOf(e));
    }
  }, [connection, sql]);
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      {saved.length ? (
        <Field label="Saved queries">
          <Select
            aria-label="Saved queries"
            value=""
            onChange={(_e, d) => {
              const q = saved.find((x) => String(x.id) === d.value);
              if (q) {
                setSql(q.sql);
                setName(q.name);
                setPreview(undefined);
              }
            }}
          >
            <option value="">Choose…</option>
            {saved.map((q) => (
              <option key={q.id} value={String(q.id)}>
                {q.name}
              </option>
            ))}
          </Select>
        </Field>
      ) : null}
      <Field label="SQL">
        <Textarea
          name="sql"
          value={sql}
          onChange={(_e, d) => setSql(d.value)}
          rows={6}
          style={{ fontFamily: 'monospace' }}
        />
      </Field>
      <Field label="Table name">
        <Input name="table-name" value={name} onChange={(_e, d) => setName(d.value)} />
      </Field>
      <div style={{ display: 'flex', gap: 8 }}>
        <Button disabled={!sql.trim()} onClick={() => void show()}>
          Preview
        </Button>
      </div>
      {error ? (
        <MessageBar intent="error" data-message="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      ) : null}
      {preview ? <Preview result={preview} /> : null}
      <TargetChoice value={where} onChange={setWhere} sheetName={name} />
      <Button
        appearance="primary"
        disabled={busy || !sql.trim()}
        onClick={() => onInsert({ kind: 'query', sql }, name, where === 'new' ? { newSheet: name } : {})}
      >
        Insert result
      </Button>
    </div>
  );
}

function Preview({ result }: { result: QueryResult }): ReactNode {
  if (result.rows.length === 0) return <Text data-preview="empty">No rows.</Text>;
  return (
    <div style={{ overflowX: 'auto' }} data-preview={result.rows.length}>
      <Table size="extra-small" aria-label="Preview">
        <TableHeader>
          <TableRow>
            {result.columns.map((c) => (
              <TableHeaderCell key={c.name}>{c.name}</TableHeaderCell>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          {result.rows.map((r, i) => (
            <TableRow key={i}>
              {r.map((v, j) => (
                <TableCell key={j}>{v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}</TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

function WorkbookTab({ busy, onRefresh }: { busy: boolean; onRefresh: (names?: string[]) => Promise<void> }) {
  const [state, setState] = useState<{ tables: BoundTable[]; selected: string | undefined } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = useCallback(() => {
    workbookTables().then(setState, (e: unknown) => setError(messageOf(e)));
  }, []);
  useEffect(load, [load, busy]);
  if (error)
    return (
      <MessageBar intent="error">
        <MessageBarBody>{error}</MessageBarBody>
      </MessageBar>
    );
  if (!state) return <Text>Reading the workbook…</Text>;
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      {state.tables.length === 0 ? (
        <Text>No exact-sync tables in this workbook yet.</Text>
      ) : (
        <Table size="extra-small" aria-label="exact-sync tables in this workbook">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Table</TableHeaderCell>
              <TableHeaderCell>Refreshed</TableHeaderCell>
              <TableHeaderCell>Data synced</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {state.tables.map((t) => (
              <TableRow key={t.name} data-bound={t.name}>
                <TableCell>
                  {t.name}
                  {t.name === state.selected ? ' (selected)' : ''}
                </TableCell>
                <TableCell>{when(t.refreshedAt)}</TableCell>
                <TableCell>{t.source.kind === 'query' ? 'query' : when(t.syncedAt)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <div style={{ display: 'flex', gap: 8 }}>
        <Button disabled={busy || !state.selected} onClick={() => void onRefresh([state.selected!])}>
          Refresh selected
        </Button>
        <Button appearance="primary" disabled={busy || state.tables.length === 0} onClick={() => void onRefresh()}>
          Refresh all
        </Button>
      </div>
    </div>
  );
}
