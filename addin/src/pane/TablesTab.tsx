import {
  Button,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Textarea,
} from '@fluentui/react-components';
import { useEffect, useMemo, useState } from 'react';
import { listTables, type Connection, type WarehouseTableInfo } from '../api.ts';
import type { TableSource } from '../excel/tables.ts';
import { messageOf, when, type Target } from './shared.ts';
import { TargetChoice } from './TargetChoice.tsx';

/** The warehouse's tables: search, pick one, choose columns and filters, insert it. */
export function TablesTab({
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
      <TableList tables={shown} chosen={chosen} onChoose={setChosen} />
      {chosen ? (
        // A new form per table: its columns and filters belong to that table.
        <InsertForm key={chosen} table={chosen} busy={busy} onInsert={onInsert} />
      ) : (
        <Text size={200}>Pick a table to insert.</Text>
      )}
    </div>
  );
}

function TableList(p: { tables: WarehouseTableInfo[]; chosen: string | undefined; onChoose: (name: string) => void }) {
  return (
    <Table size="extra-small" aria-label="Warehouse tables">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Table</TableHeaderCell>
          <TableHeaderCell>Rows</TableHeaderCell>
          <TableHeaderCell>Synced</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {p.tables.map((t) => (
          <TableRow
            key={t.name}
            data-table={t.name}
            onClick={() => p.onChoose(t.name)}
            style={{ cursor: 'pointer', background: p.chosen === t.name ? '#ebf3fc' : undefined }}
            aria-selected={p.chosen === t.name}
          >
            <TableCell>
              <Text weight={p.chosen === t.name ? 'semibold' : 'regular'}>{t.name}</Text>
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
  );
}

/** The table as a source: its columns (comma-separated) and filters (one a line), when given. */
export function tableSourceOf(table: string, columns: string, filters: string): TableSource {
  const list = (text: string, separator: string) =>
    text
      .split(separator)
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    kind: 'table',
    table,
    ...(columns.trim() ? { columns: list(columns, ',') } : {}),
    ...(filters.trim() ? { filters: list(filters, '\n') } : {}),
  };
}

function InsertForm(p: { table: string; busy: boolean; onInsert: (s: TableSource, t: Target) => void }) {
  const [columns, setColumns] = useState('');
  const [filters, setFilters] = useState('');
  const [where, setWhere] = useState<'new' | 'here'>('new');
  return (
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
      <TargetChoice value={where} onChange={setWhere} sheetName={p.table} />
      <Button
        appearance="primary"
        disabled={p.busy}
        onClick={() =>
          p.onInsert(tableSourceOf(p.table, columns, filters), where === 'new' ? { newSheet: p.table } : {})
        }
      >
        Insert {p.table}
      </Button>
    </>
  );
}
