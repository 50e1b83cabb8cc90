import { Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import type { ReactNode } from 'react';
import type { ResultColumnInfo } from '../../server/api/types.ts';

/** A value as a grid shows it: empty for NULL, JSON for objects, the rest as sent. */
export function cellText(v: unknown): string {
  return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * Rows of a result in a grid that scrolls inside itself (both ways), so its header and what is under it
 * stay in view; columns as wide as their values, numbers right-aligned. `columns`: the ones to show, in
 * order, found in `rows` by their place in `resultColumns`. `head` replaces a header cell (sorting);
 * `filters`: a second header row.
 */
export function DataTable({
  label,
  columns,
  resultColumns,
  rows,
  head,
  filters,
}: {
  label: string;
  columns: readonly Pick<ResultColumnInfo, 'name' | 'kind'>[];
  resultColumns: readonly Pick<ResultColumnInfo, 'name'>[];
  rows: readonly (readonly unknown[])[];
  head?: (column: string, index: number) => ReactNode;
  filters?: ReactNode;
}) {
  const at = columns.map((c, i) => {
    // Duplicate names (SELECT a, a) are told apart by place when every column is shown.
    const same = columns.length === resultColumns.length && resultColumns[i]?.name === c.name;
    return same ? i : resultColumns.findIndex((x) => x.name === c.name);
  });
  return (
    <div style={{ overflow: 'auto', maxHeight: '70vh', border: '1px solid #e0e0e0' }}>
      <Table size="small" aria-label={label} style={{ tableLayout: 'auto', width: 'max-content', minWidth: '100%' }}>
        <TableHeader style={{ position: 'sticky', top: 0, background: 'white', zIndex: 1 }}>
          <TableRow>
            {columns.map((c, i) => (head ? head(c.name, i) : <TableHeaderCell key={i}>{c.name}</TableHeaderCell>))}
          </TableRow>
          {filters}
        </TableHeader>
        <TableBody>
          {rows.map((r, n) => (
            <TableRow key={n}>
              {columns.map((c, i) => (
                <TableCell
                  key={i}
                  style={{
                    textAlign: c.kind === 'integer' || c.kind === 'number' ? 'right' : 'left',
                    whiteSpace: 'nowrap',
                  }}
                >
                  {cellText(r[at[i]!])}
                </TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
