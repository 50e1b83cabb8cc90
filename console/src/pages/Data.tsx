import {
  Button,
  Input,
  Link,
  Menu,
  MenuItemCheckbox,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Select,
  TableCell,
  TableHeaderCell,
  TableRow,
  Text,
} from '@fluentui/react-components';
import { useState, type ReactNode } from 'react';
import type {
  ConnectionsResponse,
  QueryResult,
  WarehouseTableInfo,
  WarehouseTablesResponse,
} from '../../../server/api/types.ts';
import { get } from '../api.ts';
import { ErrorBar, Loading, NavLink, Notice, PageTitle } from '../components.tsx';
import { browseSql } from '../sqlText.ts';
import { DataTable } from '../DataTable.tsx';
import { effectiveOrder, filterOf, rowsUrl, type SortKey } from '../dataGrid.ts';
import { FIRST, moves, pageStatus, requestOrder, shownRows, type PageMoves, type PagerState } from '../pager.ts';
import { count, when } from '../format.ts';
import { navigate } from '../router.ts';
import { useLoad } from '../useLoad.ts';

const PAGE = 100;

/**
 * The data browser: every warehouse table of a connection, and a table's rows a page at a time from the
 * server (keyset paging, so the millionth row costs what the first does), sorted and filtered there.
 */
export function DataPage({ connection, table }: { connection: number | undefined; table: string | undefined }) {
  const connections = useLoad(() => get<ConnectionsResponse>('/api/v1/connections'), []);
  const id = connection ?? connections.data?.connections[0]?.id;
  const tables = useLoad(
    () =>
      id === undefined ? Promise.resolve(undefined) : get<WarehouseTablesResponse>(`/api/v1/tables?connection=${id}`),
    [id],
  );
  const go = (c: number | undefined, t: string | undefined) =>
    navigate(`/data?${new URLSearchParams({ ...(c ? { connection: String(c) } : {}), ...(t ? { table: t } : {}) })}`);

  if (connections.error) return <ErrorBar error={connections.error} onRetry={() => void connections.reload()} />;
  if (!connections.data) return <Loading />;
  if (id === undefined)
    return (
      <Notice title="No data yet">
        Connect Exact Online first (Connections); its tables appear here after a sync.
      </Notice>
    );
  const list = tables.data?.tables ?? [];
  const chosen = list.find((t) => t.name === table);
  return (
    <div>
      <PageTitle
        actions={
          connections.data.connections.length > 1 ? (
            <Select aria-label="Connection" value={String(id)} onChange={(_e, d) => go(Number(d.value), undefined)}>
              {connections.data.connections.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.exactUserName ?? `Connection ${c.id}`} ({c.warehouseSchema})
                </option>
              ))}
            </Select>
          ) : undefined
        }
      >
        Data
      </PageTitle>
      {tables.error ? <ErrorBar error={tables.error} onRetry={() => void tables.reload()} /> : null}
      <div style={{ display: 'grid', gridTemplateColumns: '260px minmax(0, 1fr)', gap: 16, alignItems: 'start' }}>
        <nav
          aria-label="Tables"
          style={{ display: 'flex', flexDirection: 'column', gap: 2, maxHeight: '80vh', overflowY: 'auto' }}
        >
          {tables.loading && !tables.data ? <Loading /> : null}
          {list.map((t) => (
            <Button
              key={t.name}
              appearance={t.name === table ? 'primary' : 'subtle'}
              style={{ justifyContent: 'space-between', flexShrink: 0, minHeight: 28 }}
              onClick={() => go(connection, t.name)}
            >
              <span style={{ overflow: 'hidden', textOverflow: 'ellipsis' }} title={t.title ?? t.name}>
                {t.name}
              </span>
              <span style={{ opacity: 0.7 }}>{t.view ?? count(t.rows)}</span>
            </Button>
          ))}
        </nav>
        {chosen ? (
          <TableRows key={`${id}/${chosen.name}`} connection={id} table={chosen} />
        ) : (
          <Text>{list.length ? 'Choose a table.' : tables.data ? 'No tables synced yet.' : ''}</Text>
        )}
      </div>
    </div>
  );
}

/** One table: its rows a page at a time, sort by a header, a filter box per column. */
function TableRows({ connection, table }: { connection: number; table: WarehouseTableInfo }) {
  const [sort, setSort] = useState<SortKey | undefined>(undefined);
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [applied, setApplied] = useState<Record<string, string>>({});
  // Where the pages are read from (the start or the end) and the `after` of each page gone through.
  const [pager, setPager] = useState<PagerState>(FIRST);
  // The columns shown (the column chooser); only they are fetched, and the ones the server pages by.
  const [shown, setShown] = useState<string[]>(() => table.columns.map((c) => c.name));
  const visible = table.columns.filter((c) => shown.includes(c.name));
  const columns = shown.length < table.columns.length ? visible.map((c) => c.name) : undefined;
  const filters = table.columns.flatMap((c) => filterOf(c, applied[c.name] ?? '') ?? []);
  const order = effectiveOrder(
    sort,
    table.primaryKey,
    table.columns.map((c) => c.name),
  );
  const asked = requestOrder(pager, sort, order);
  const after = pager.stack[pager.stack.length - 1];
  const rows = useLoad(
    () =>
      get<QueryResult>(rowsUrl({ table: table.name, connection, columns, order: asked, filters, after, limit: PAGE })),
    [table.name, connection, columns?.join(','), JSON.stringify(asked), filters.join('\n'), JSON.stringify(after)],
  );
  const restart = () => setPager(FIRST);
  const sortBy = (column: string) => {
    setSort((s) => (s?.column !== column ? { column, desc: false } : s.desc ? undefined : { column, desc: true }));
    restart();
  };
  const apply = () => {
    setApplied(typed);
    restart();
  };
  const data = rows.data && { ...rows.data, rows: shownRows(pager, rows.data.rows) };
  return (
    <div style={{ minWidth: 0 }}>
      <TableBar
        table={table}
        download={rowsUrl({
          table: table.name,
          connection,
          columns,
          order: sort ? [sort] : undefined,
          filters,
          limit: 5_000_000,
          format: 'csv',
        })}
        sql={`/sql?${new URLSearchParams({ connection: String(connection), sql: browseSql(table.name, columns, sort) })}`}
      >
        <ColumnChooser
          all={table.columns.map((c) => c.name)}
          shown={shown}
          onChange={(next) => setShown(next.length ? next : shown)}
        />
      </TableBar>
      {rows.error ? <ErrorBar error={rows.error} onRetry={() => void rows.reload()} /> : null}
      <RowsGrid
        name={table.name}
        columns={visible}
        data={data}
        sort={sort}
        typed={typed}
        onSort={sortBy}
        onType={(column, value) => setTyped((t) => ({ ...t, [column]: value }))}
        onApply={apply}
      />
      <Pager
        go={moves(pager, rows.data, order, PAGE)}
        onGo={setPager}
        status={
          rows.loading
            ? 'Loading…'
            : `${pageStatus(pager, data?.rows.length ?? 0, PAGE)}${filters.length && data?.rows.length ? ' (filtered)' : ''}`
        }
      />
    </div>
  );
}

/** First, Previous, Next and Last page (each disabled where it cannot go), and where the page is. */
function Pager({ go, onGo, status }: { go: PageMoves; onGo: (p: PagerState) => void; status: string }) {
  const button = (label: string, to: PagerState | undefined) => (
    <Button disabled={!to} onClick={() => to && onGo(to)}>
      {label}
    </Button>
  );
  return (
    <div style={{ display: 'flex', gap: 8, alignItems: 'center', marginTop: 8 }}>
      {button('First page', go.first)}
      {button('Previous', go.previous)}
      {button('Next', go.next)}
      {button('Last page', go.last)}
      <Text aria-live="polite" data-status>
        {status}
      </Text>
    </div>
  );
}

/** The rows of a page under a header that sorts (click) and a filter box per column (Enter applies). */
function RowsGrid({
  name,
  columns,
  data,
  sort,
  typed,
  onSort,
  onType,
  onApply,
}: {
  name: string;
  columns: WarehouseTableInfo['columns'];
  data: QueryResult | undefined;
  sort: SortKey | undefined;
  typed: Record<string, string>;
  onSort: (column: string) => void;
  onType: (column: string, value: string) => void;
  onApply: () => void;
}) {
  return (
    <DataTable
      label={`Rows of ${name}`}
      columns={columns}
      resultColumns={data?.columns ?? []}
      rows={data?.rows ?? []}
      head={(column) => (
        <TableHeaderCell key={column} onClick={() => onSort(column)} style={{ cursor: 'pointer' }}>
          {column}
          {sort?.column === column ? (sort.desc ? ' ▼' : ' ▲') : ''}
        </TableHeaderCell>
      )}
      filters={
        <TableRow>
          {columns.map((c) => (
            <TableCell key={c.name}>
              <Input
                size="small"
                aria-label={`Filter ${c.name}`}
                placeholder={c.kind === 'text' ? 'contains…' : '=, >, <…'}
                value={typed[c.name] ?? ''}
                onChange={(_e, d) => onType(c.name, d.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') onApply();
                }}
                style={{ width: '100%' }}
              />
            </TableCell>
          ))}
        </TableRow>
      }
    />
  );
}

/** Which columns the grid shows: a menu of them, each on or off (at least one stays on). */
function ColumnChooser({
  all,
  shown,
  onChange,
}: {
  all: string[];
  shown: string[];
  onChange: (shown: string[]) => void;
}) {
  return (
    <Menu
      checkedValues={{ columns: shown }}
      onCheckedValueChange={(_e, d) => onChange(all.filter((c) => d.checkedItems.includes(c)))}
    >
      <MenuTrigger disableButtonEnhancement>
        <Button size="small">
          Columns ({shown.length} of {all.length})
        </Button>
      </MenuTrigger>
      <MenuPopover style={{ maxHeight: '60vh', overflowY: 'auto' }}>
        <MenuList>
          {all.map((c) => (
            <MenuItemCheckbox key={c} name="columns" value={c}>
              {c}
            </MenuItemCheckbox>
          ))}
        </MenuList>
      </MenuPopover>
    </Menu>
  );
}

/** A table's name, rows and last sync, what `children` adds, the CSV download, and where else to find it. */
function TableBar({
  table,
  download,
  sql,
  children,
}: {
  table: WarehouseTableInfo;
  download: string;
  sql: string;
  children: ReactNode;
}) {
  return (
    <div style={{ display: 'flex', gap: 12, alignItems: 'baseline', flexWrap: 'wrap', marginBottom: 8 }}>
      <Text weight="semibold" size={500}>
        {table.title ?? table.name}
      </Text>
      <Text>
        {table.view === 'materialized'
          ? `a published materialized view, refreshed ${when(table.lastSyncAt)}`
          : table.view
            ? 'a published view'
            : `${count(table.rows)} rows${table.rowsEstimated ? ' (estimated)' : ''} · last sync ${when(table.lastSyncAt)}`}
      </Text>
      {children}
      <Link href={download}>Download CSV</Link>
      <NavLink to={sql}>Open in SQL</NavLink>
      <Text size={200} style={{ opacity: 0.7 }}>
        In Excel: Insert table → {table.name}
      </Text>
    </div>
  );
}
